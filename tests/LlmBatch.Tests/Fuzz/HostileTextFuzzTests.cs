using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using CsCheck;
using LlmBatch.Input;
using LlmBatch.Json;
using LlmBatch.Output;
using LlmBatch.RateLimiting;

namespace LlmBatch.Tests.Fuzz;

/// <summary>
/// Property tests (CsCheck) over the three readers of hostile text: the input line check, the output line scanner and
/// parser, and the rate-limit header parser. Inputs are valid lines mutated byte by byte with the characters that break
/// parsers (quotes, backslashes, lone surrogate escapes, bytes that are not UTF-8, deep nesting, repeated keys), plus
/// generated values. Each property says what must hold for any input: no exception escapes, and what is accepted is
/// consistent. Each runs for <see cref="Seconds"/> seconds: 2 in CI; set <c>LLMBATCH_FUZZ_SECONDS</c> for a longer
/// run (docs/security.md). A failure prints the seed that reproduces it (<c>CsCheck_Seed</c>).
/// </summary>
public sealed class HostileTextFuzzTests
{
    /// <summary>Seconds each property runs: <c>LLMBATCH_FUZZ_SECONDS</c>, else 2.</summary>
    private static readonly int Seconds =
        int.TryParse(Environment.GetEnvironmentVariable("LLMBATCH_FUZZ_SECONDS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 2;

    private static readonly string[] InputSeeds =
    [
        """{"custom_id":"req-1","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello \"there\" \u00e9 \ud83d\ude00"}],"max_tokens":16}}""",
        """{"custom_id":"e\u0301","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":["a","b"],"dimensions":8}}""",
        """{"custom_id":"r","method":"POST","url":"/v1/responses","body":{"model":"o4-mini","input":[{"role":"user","content":[{"type":"input_text","text":"x"}]}],"max_output_tokens":5}}""",
        """{"method":"POST","url":"/v1/completions","custom_id":"c","body":{"model":"m","prompt":[1,2,[3]],"stream":false,"max_tokens":null}}""",
    ];

    private static readonly string[] OutputSeeds =
    [
        """{"id":"batch_req_0123456789abcdef","custom_id":"a","response":{"status_code":200,"request_id":"req_1","body":{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"hi \u00e9"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}},"error":null,"llmbatch":{"attempts":2,"statuses":[429,200],"started_at":"2026-01-01T00:00:00.000Z","finished_at":"2026-01-01T00:00:01.500Z","latency_ms":412.5,"limiter_wait_ms":0,"prompt_tokens":5,"completion_tokens":1,"usage_reported":true,"model":"gpt-4o-mini","line":3}}""",
        """{"id":"batch_req_1","custom_id":"b\"q","response":{"status_code":502,"request_id":null,"body":"<html>bad gateway</html>"},"error":{"code":"http_502","message":"Bad gateway"}}""",
        """{"custom_id":"c","response":null,"error":{"code":"timeout","message":"no answer"},"llmbatch":{"statuses":[0]}}""",
    ];

    // What breaks parsers: structure, escapes, lone surrogates, bytes that are not UTF-8, numbers at the edges.
    private static readonly byte[][] Fragments =
    [
        "{"u8.ToArray(), "}"u8.ToArray(), "["u8.ToArray(), "]"u8.ToArray(), "\""u8.ToArray(), "\\"u8.ToArray(), ","u8.ToArray(), ":"u8.ToArray(),
        "\\ud83d"u8.ToArray(), "\\ude00"u8.ToArray(), "\\u0000"u8.ToArray(), "\\u001b"u8.ToArray(), "\\n"u8.ToArray(), "\n"u8.ToArray(), "\r"u8.ToArray(),
        [0xFF], [0xC3], [0xE9], [0xED, 0xA0, 0xBD], [0xF0, 0x9F, 0x98], [0x00], [0x1B],
        "1e300"u8.ToArray(), "-0"u8.ToArray(), "200.0"u8.ToArray(), "99999999999999999999"u8.ToArray(), "NaN"u8.ToArray(), "null"u8.ToArray(), "true"u8.ToArray(),
        "\"custom_id\":"u8.ToArray(), "\"body\":"u8.ToArray(), "\"model\":"u8.ToArray(), "\"status_code\":"u8.ToArray(), "\"error\":"u8.ToArray(),
        Encoding.UTF8.GetBytes(new string('[', 300)), Encoding.UTF8.GetBytes(new string('{', 70)),
    ];

    private static Gen<byte[]> Mutated(string[] seeds)
    {
        var mutation = Gen.Select(Gen.Int[0, 4], Gen.Double[0, 1], Gen.Int[0, Fragments.Length - 1], Gen.Int[1, 40]);
        return Gen.Select(Gen.Int[0, seeds.Length - 1], mutation.Array[0, 6], (seed, mutations) =>
        {
            var bytes = new List<byte>(Encoding.UTF8.GetBytes(seeds[seed]));
            foreach (var (kind, where, fragment, length) in mutations)
            {
                var at = (int)(where * bytes.Count);
                switch (kind)
                {
                    case 0: bytes.InsertRange(at, Fragments[fragment]); break;
                    case 1: bytes.RemoveRange(at, Math.Min(length, bytes.Count - at)); break;
                    case 2 when at < bytes.Count: bytes[at] = Fragments[fragment][0]; break;
                    case 3: bytes.InsertRange(at, bytes.GetRange(at, Math.Min(length, bytes.Count - at))); break;
                    default: bytes.RemoveRange(at, bytes.Count - at); break;
                }
            }

            return bytes.ToArray();
        });
    }

    private static void Sample<T>(Gen<T> gen, Action<T> assert) =>
        gen.Sample(assert, time: Seconds, threads: 1, print: Show);

    // A failing byte line is shown as text, with the bytes that are not UTF-8 marked, so it can be read and kept.
    private static string Show<T>(T value) => value is byte[] bytes
        ? Encoding.UTF8.GetString(bytes).Replace("\ufffd", "<bad byte>", StringComparison.Ordinal)
        : value?.ToString() ?? "null";

    [Fact]
    public void InputLine_AnyBytes_CheckedNeverThrowsAndAcceptsOnlyWhatRoundTrips()
    {
        Sample(Mutated(InputSeeds), line =>
        {
            using var stream = new MemoryStream([.. line, (byte)'\n']);
            using var reader = new JsonlLineReader(stream, "fuzz.jsonl", BatchValidationOptions.DefaultMaxLineBytes);
            var errors = new List<BatchInputError>();
            while (reader.ReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult())
            {
                var request = BatchLineChecker.Check(reader, errors, copyBody: true, firstContentLine: true, out var blank, out _);
                if (request is null)
                {
                    Assert.True(blank || errors.Count > 0, "a rejected line names its problem");
                    Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
                    continue;
                }

                // Accepted: valid UTF-8 JSON whose id has a UTF-8 form, whose body is one object with no repeated key,
                // and which the token counter and the in-process readers take without throwing.
                Assert.Empty(errors);
                Assert.False(string.IsNullOrEmpty(request.CustomId));
                Assert.False(BatchLineParser.HasLoneSurrogate(request.CustomId));
                Assert.True(Utf8.IsValid(request.Body.Span));
                Assert.False(JsonDuplicateKeys.TryFind(request.Body.Span, out _));
                Assert.InRange(request.MaxOutputTokens ?? 0, 0, BatchOptions.MaxOutputTokensLimit);
                TokenCounter.Shared.CountPromptTokens(request);
            }
        });
    }

    [Fact]
    public void OutputLine_AnyBytes_ScannerAndParserNeverThrowAndAgree()
    {
        Sample(Mutated(OutputSeeds), line =>
        {
            var scanned = OutputLineScanner.TryScan(line, out var key, out var success);
            var parsed = OutputLineParser.Parse(line, out _, out var problem);
            if (parsed is null)
            {
                Assert.False(string.IsNullOrEmpty(problem) && !scanned, "a rejected line says why");
            }

            // The fast path that decides resume and the full parser that feeds report and merge see the same lines.
            Assert.Equal(scanned, parsed is not null);
            if (parsed is not null)
            {
                Assert.Equal(CustomIdHash.Key(parsed.CustomId), key);
                Assert.Equal(success, parsed.IsSuccess);
            }
        });
    }

    [Fact]
    public void OutputLine_AnyResult_WrittenAsOneUtf8LineThatReadsBack()
    {
        var text = Gen.String[Gen.Char["ab\"\\\n\r\t\u001b\u00e9\u2028\ud83d\ude00{}[]:,"], 0, 30];
        var body = Gen.OneOf(
            Gen.Const("{\"choices\":[]}"),
            text,
            text.Select(t => JsonSerializer.Serialize(new { choices = new[] { new { message = new { content = t } } } })),
            Gen.Byte.Array[0, 40].Select(b => Encoding.Latin1.GetString(b)));
        var gen = Gen.Select(text.Where(t => t.Length > 0 && !BatchLineParser.HasLoneSurrogate(t)), Gen.Int[0, 599], body, text);
        Sample(gen, item =>
        {
            var (id, status, responseBody, message) = item;
            var result = new BatchResult
            {
                Id = "",
                CustomId = id,
                StatusCode = status < 100 ? 0 : status,
                ResponseBody = Encoding.Latin1.GetBytes(responseBody),
                Error = status is >= 200 and < 300 ? null : new BatchError("code", message),
                Stats = new BatchItemStats { Statuses = [status] },
            };
            var buffer = new ArrayBufferWriter<byte>();
            ResultLineWriter.Write(buffer, result);
            var line = buffer.WrittenSpan[..^1];

            Assert.True(Utf8.IsValid(buffer.WrittenSpan));
            Assert.Equal(-1, line.IndexOfAny((byte)'\n', (byte)'\r'));
            Assert.True(OutputLineScanner.TryScan(line, out var key, out _));
            Assert.Equal(CustomIdHash.Key(id), key);
            var back = OutputLineParser.Parse(line, out _, out _);
            Assert.NotNull(back);
            Assert.Equal(id, back.CustomId);
            Assert.Equal(result.StatusCode, back.StatusCode);
        });
    }

    [Fact]
    public void Headers_AnyValues_ParsedIntoTheClampsNeverThrow()
    {
        var value = Gen.OneOf(
            Gen.String[Gen.Char["0123456789.eE+-hmsuµn \tIinfatyNInfinity"], 0, 24],
            Gen.Double.Select(d => d.ToString("R", CultureInfo.InvariantCulture)),
            Gen.Long.Select(l => l.ToString(CultureInfo.InvariantCulture)),
            Gen.DateTimeOffset.Select(d => d.ToString("r", CultureInfo.InvariantCulture)),
            Gen.String);
        string[] names = ["x-ratelimit-limit-requests", "x-ratelimit-limit-tokens", "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens",
            "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens", "retry-after-ms", "x-ms-retry-after-ms", "retry-after", "x-should-retry"];
        Sample(value.Array[names.Length], values =>
        {
            var headers = RateLimitHeaderParser.Parse(n => values[Array.IndexOf(names, n.ToLowerInvariant())], new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

            foreach (var count in (long?[])[headers.LimitRequests, headers.LimitTokens, headers.RemainingRequests, headers.RemainingTokens])
            {
                Assert.InRange(count ?? 0, 0, RateLimitHeaderParser.MaxCount);
            }

            foreach (var wait in (TimeSpan?[])[headers.ResetRequests, headers.ResetTokens, headers.RetryAfter])
            {
                Assert.InRange(wait ?? TimeSpan.Zero, TimeSpan.Zero, RateLimitHeaderParser.MaxWait);
            }
        });
    }

    [Fact]
    public void DuplicateKeys_AnyJson_AgreesWithTheRuntimeStrictReader()
    {
        var key = Gen.String[Gen.Char["abk\u00e9"], 0, 2].Select(k => k.Replace("k", "\\u006b", StringComparison.Ordinal));
        var scalar = Gen.OneOf(Gen.Const("1"), Gen.Const("\"s\""), Gen.Const("null"));
        var json = Gen.Recursive<string>((depth, self) => depth > 4
            ? scalar
            : Gen.OneOf(
                scalar,
                self.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]"),
                Gen.Select(key, self).Array[0, 4].Select(members => "{" + string.Join(",", members.Select(m => $"\"{m.Item1}\":{m.Item2}")) + "}")));
        Sample(json, text =>
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            bool strictRejects;
            try
            {
                using var _ = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowDuplicateProperties = false });
                strictRejects = false;
            }
            catch (JsonException)
            {
                strictRejects = true;
            }

            Assert.Equal(strictRejects, JsonDuplicateKeys.TryFind(bytes, out _));
        });
    }
}
