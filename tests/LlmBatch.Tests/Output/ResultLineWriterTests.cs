using System.Text;
using System.Text.Json;
using LlmBatch.Output;

namespace LlmBatch.Tests.Output;

public class ResultLineWriterTests
{
    [Fact]
    public void Write_Success_MatchesDocumentedShape()
    {
        var line = ResultFactory.Line(ResultFactory.Success("a1", line: 17));

        Assert.EndsWith("\n", line, StringComparison.Ordinal);
        Assert.Equal(1, line.Count(c => c == '\n'));
        var expectedId = CustomIdHash.ToResultId("a1");
        Assert.Equal(
            "{\"id\":\"" + expectedId + "\",\"custom_id\":\"a1\",\"response\":{\"status_code\":200,\"request_id\":\"req_123\",\"body\":{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}},\"error\":null,"
            + "\"llmbatch\":{\"attempts\":2,\"statuses\":[429,200],\"started_at\":\"2026-11-28T03:00:00.123Z\",\"finished_at\":\"2026-11-28T03:00:01.020Z\",\"latency_ms\":412.5,\"limiter_wait_ms\":3.1,\"prompt_tokens\":9,\"completion_tokens\":12,\"usage_reported\":true,\"model\":\"gpt-4o-mini\",\"line\":17}}\n",
            line);
    }

    [Fact]
    public void Write_PackedItem_PackSizeAndIndexUnderLlmbatchAndReadBack()
    {
        var result = ResultFactory.Success("p2");
        result = new BatchResult
        {
            CustomId = result.CustomId,
            Id = result.Id,
            StatusCode = 200,
            ResponseBody = result.ResponseBody,
            Stats = result.Stats with { PackSize = 64, PackIndex = 2 },
        };

        var line = ResultFactory.Line(result);

        Assert.Contains("\"packed\":{\"size\":64,\"index\":2}", line, StringComparison.Ordinal);
        var parsed = OutputLineParser.Parse(Encoding.UTF8.GetBytes(line.TrimEnd('\n')), out _, out _)!;
        Assert.Equal(64, parsed.Stats.PackSize);
        Assert.Equal(2, parsed.Stats.PackIndex);
        Assert.False(parsed.Stats.CountsAttempts);
    }

    [Fact]
    public void FormatUtcMillisecond_AnyTimeAndOffset_SameTextAsTheCustomFormat()
    {
        var rng = new Random(20_261_130);
        DateTimeOffset[] edges =
        [
            new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1),
            DateTimeOffset.MaxValue,
            new DateTimeOffset(2026, 12, 31, 23, 59, 59, 999, TimeSpan.Zero).AddTicks(9_999),
            new(2024, 2, 29, 0, 0, 0, 1, TimeSpan.FromHours(-9.5)),
        ];
        var times = edges.Concat(Enumerable.Range(0, 5_000).Select(_ =>
            new DateTimeOffset(rng.NextInt64(DateTime.MinValue.Ticks + TimeSpan.TicksPerDay, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay), TimeSpan.FromMinutes(rng.Next(-14 * 60, 14 * 60)))));
        Span<byte> text = stackalloc byte[ResultLineWriter.UtcMillisecondLength];
        foreach (var t in times)
        {
            ResultLineWriter.FormatUtcMillisecond(t, text);
            Assert.Equal(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetString(text));
        }
    }

    [Fact]
    public void ToResultId_SameCustomId_IsStableAndLowercaseHex()
    {
        var a = CustomIdHash.ToResultId("request-42");
        var b = CustomIdHash.ToResultId("request-42");
        var c = CustomIdHash.ToResultId("request-43");

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Matches("^batch_req_[0-9a-f]{16}$", a);
        Assert.Equal(CustomIdHash.Compute("request-42"), CustomIdHash.Compute(Encoding.UTF8.GetBytes("request-42")));
        // Pinned: the id must not change between versions, or reruns would no longer match earlier files.
        Assert.Equal($"batch_req_{System.IO.Hashing.XxHash3.HashToUInt64("request-42"u8):x16}", a);
    }

    [Fact]
    public void Write_EmptyId_DerivesIdFromCustomId()
    {
        var result = ResultFactory.Success("x");
        var noId = new BatchResult { CustomId = "x", Id = "", StatusCode = 200, ResponseBody = result.ResponseBody, Stats = result.Stats };

        using var doc = JsonDocument.Parse(ResultFactory.Line(noId));

        Assert.Equal(CustomIdHash.ToResultId("x"), doc.RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public void Write_NoResponse_WritesNullResponseAndError()
    {
        using var doc = JsonDocument.Parse(ResultFactory.Line(ResultFactory.Failure("c", status: 0)));

        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("response").ValueKind);
        Assert.Equal("connection_error", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public void Write_HtmlBody_WritesBodyAsString()
    {
        var html = "<html><body>502 Bad Gateway</body></html>";
        var line = ResultFactory.Line(ResultFactory.Failure("h", 502, html));

        using var doc = JsonDocument.Parse(line);

        Assert.Equal(html, doc.RootElement.GetProperty("response").GetProperty("body").GetString());
    }

    [Fact]
    public void Write_PrettyPrintedBody_StaysOnOneLine()
    {
        var body = "{\n  \"a\": \"x\\ny\",\r\n  \"b\": [1,\n 2]\n}\n";
        var line = ResultFactory.Line(ResultFactory.Success("p", body));

        Assert.Equal(1, line.Count(c => c == '\n'));
        using var doc = JsonDocument.Parse(line);
        var parsed = doc.RootElement.GetProperty("response").GetProperty("body");
        Assert.Equal("x\ny", parsed.GetProperty("a").GetString());
        Assert.Equal(2, parsed.GetProperty("b").GetArrayLength());
    }

    [Fact]
    public void Write_InvalidUtf8Body_StillWritesValidJson()
    {
        var result = ResultFactory.Failure("u", 502);
        var bad = new BatchResult { CustomId = "u", Id = result.Id, StatusCode = 502, ResponseBody = new byte[] { 0x3C, 0xFF, 0xFE, 0x3E }, Error = result.Error, Stats = result.Stats };

        using var doc = JsonDocument.Parse(ResultFactory.Line(bad));

        Assert.Equal(JsonValueKind.String, doc.RootElement.GetProperty("response").GetProperty("body").ValueKind);
    }

    [Fact]
    public void Write_UnicodeCustomId_KeptReadable()
    {
        var line = ResultFactory.Line(ResultFactory.Success("zoë-東京-🚀"));

        // Letters outside ASCII stay as they are; the encoder escapes only astral characters (the emoji).
        Assert.Contains("\"custom_id\":\"zoë-東京-", line, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(line);
        Assert.Equal("zoë-東京-🚀", doc.RootElement.GetProperty("custom_id").GetString());
    }

    [Fact]
    public void Write_NeverDispatched_WritesNullTimestamps()
    {
        var r = new BatchResult { CustomId = "n", Id = "", Error = new BatchError("deadline_exceeded", "late"), Stats = new BatchItemStats() };

        using var doc = JsonDocument.Parse(ResultFactory.Line(r));

        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("llmbatch").GetProperty("started_at").ValueKind);
        Assert.Equal(0, doc.RootElement.GetProperty("llmbatch").GetProperty("statuses").GetArrayLength());
    }
}
