using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using LlmBatch.Json;

namespace LlmBatch.Output;

/// <summary>
/// Writes one <see cref="BatchResult"/> as one output line (see docs/formats.md) followed by <c>\n</c>.
/// A <see cref="Utf8JsonWriter"/> is kept per thread and reset per line, so a line costs no allocation
/// beyond the caller's buffer in the common case.
/// </summary>
internal static class ResultLineWriter
{
    // Relaxed escaping keeps non-ASCII custom_ids and messages readable in the file; the file is data, never HTML.
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = false,
    };

    /// <summary>The most bytes of a body that is not JSON kept in a line, as text (1 MiB).</summary>
    internal const int MaxTextBody = 1024 * 1024;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Writes <paramref name="result"/> as one line and a trailing <c>\n</c> to <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, BatchResult result)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(result);
        var w = t_writer;
        if (w is null)
        {
            w = new Utf8JsonWriter(output, WriterOptions);
            t_writer = w;
        }
        else
        {
            w.Reset(output);
        }

        try
        {
            WriteObject(w, result);
            w.Flush();
        }
        finally
        {
            // Drop the reference to the caller's buffer so a long-lived thread does not keep it alive.
            w.Reset(NullBufferWriter.Instance);
        }

        var nl = output.GetSpan(1);
        nl[0] = (byte)'\n';
        output.Advance(1);
    }

    private static void WriteObject(Utf8JsonWriter w, BatchResult result)
    {
        w.WriteStartObject();
        w.WritePropertyName("id"u8);
        if (!string.IsNullOrEmpty(result.Id))
        {
            w.WriteStringValue(result.Id);
        }
        else
        {
            Span<byte> id = stackalloc byte[CustomIdHash.IdLength];
            CustomIdHash.FormatResultId(CustomIdHash.Compute(result.CustomId), id);
            w.WriteStringValue(id);
        }

        w.WriteString("custom_id"u8, result.CustomId);
        if (result.StatusCode == 0)
        {
            w.WriteNull("response"u8);
        }
        else
        {
            w.WriteStartObject("response"u8);
            w.WriteNumber("status_code"u8, result.StatusCode);
            if (result.RequestId is null)
            {
                w.WriteNull("request_id"u8);
            }
            else
            {
                w.WriteString("request_id"u8, result.RequestId);
            }

            w.WritePropertyName("body"u8);
            WriteBody(w, result.ResponseBody.Span, result.BodyIsCheckedJson);
            w.WriteEndObject();
        }

        if (result.Error is null)
        {
            w.WriteNull("error"u8);
        }
        else
        {
            w.WriteStartObject("error"u8);
            w.WriteString("code"u8, result.Error.Code);
            w.WriteString("message"u8, result.Error.Message);
            w.WriteEndObject();
        }

        WriteStats(w, result.Stats, result.LineNumber);
        w.WriteEndObject();
    }

    private static void WriteStats(Utf8JsonWriter w, BatchItemStats s, long line)
    {
        w.WriteStartObject("llmbatch"u8);
        w.WriteNumber("attempts"u8, s.Attempts);
        w.WriteStartArray("statuses"u8);
        var statuses = s.Statuses;
        for (var i = 0; i < statuses.Count; i++)
        {
            w.WriteNumberValue(statuses[i]);
        }

        w.WriteEndArray();
        WriteTimestamp(w, "started_at"u8, s.StartedAt);
        WriteTimestamp(w, "finished_at"u8, s.FinishedAt);
        w.WriteNumber("latency_ms"u8, RoundTenth(s.LatencyMs));
        w.WriteNumber("limiter_wait_ms"u8, RoundTenth(s.LimiterWaitMs));
        w.WriteNumber("prompt_tokens"u8, s.PromptTokens);
        w.WriteNumber("completion_tokens"u8, s.CompletionTokens);
        w.WriteBoolean("usage_reported"u8, s.UsageReported);
        w.WriteString("model"u8, s.Model);
        w.WriteNumber("line"u8, line);

        // Written only when set, so lines without them stay as they were.
        if (s.CachedPromptTokens > 0)
        {
            w.WriteNumber("cached_prompt_tokens"u8, s.CachedPromptTokens);
        }

        if (s.Cached)
        {
            w.WriteBoolean("cached"u8, true);
        }

        if (s.SharedWith is not null)
        {
            w.WriteString("shared_with"u8, s.SharedWith);
        }

        if (s.PackSize > 1)
        {
            w.WriteStartObject("packed"u8);
            w.WriteNumber("size"u8, s.PackSize);
            w.WriteNumber("index"u8, s.PackIndex);
            w.WriteEndObject();
        }

        if (s.BatchId is not null)
        {
            w.WriteString("batch_id"u8, s.BatchId);
        }

        if (s.Endpoint is not null)
        {
            w.WriteString("endpoint"u8, s.Endpoint);
        }

        w.WriteEndObject();
    }

    /// <summary>
    /// The result as reading its line back gives it when bodies are not wanted (<see cref="BatchOutputFile"/>): the
    /// durations at the tenth of a millisecond and the times at the millisecond they are written with, no body. A report
    /// folded from results as they are written is then the one rebuilt from the file later.
    /// </summary>
    internal static BatchResult AsReadBack(BatchResult result)
    {
        var s = result.Stats;
        var written = s with
        {
            LatencyMs = RoundTenth(s.LatencyMs),
            LimiterWaitMs = RoundTenth(s.LimiterWaitMs),
            StartedAt = ToMillisecond(s.StartedAt),
            FinishedAt = ToMillisecond(s.FinishedAt),
        };
        return result.With(written, result.LineNumber, keepBody: false);
    }

    private static DateTimeOffset ToMillisecond(DateTimeOffset value) =>
        value == default ? default : new DateTimeOffset(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    private static double RoundTenth(double ms) =>
        double.IsFinite(ms) ? Math.Round(ms, 1, MidpointRounding.AwayFromZero) : 0;

    private static void WriteTimestamp(Utf8JsonWriter w, ReadOnlySpan<byte> name, DateTimeOffset value)
    {
        // An item that was never dispatched has no time; null says so more honestly than year 1.
        if (value == default)
        {
            w.WriteNull(name);
            return;
        }

        Span<byte> text = stackalloc byte[UtcMillisecondLength];
        FormatUtcMillisecond(value, text);
        w.WriteString(name, text);
    }

    /// <summary>The length of <see cref="FormatUtcMillisecond"/>'s text: <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>.</summary>
    internal const int UtcMillisecondLength = 24;

    /// <summary>
    /// Writes <paramref name="value"/> in UTC as <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> (what
    /// <c>TryFormat("yyyy-MM-dd'T'HH:mm:ss.fff'Z'")</c> gives, the millisecond truncated) into the first
    /// <see cref="UtcMillisecondLength"/> bytes of <paramref name="destination"/>.
    /// </summary>
    /// <remarks>
    /// By hand because a custom format string is parsed again on every call: the two times of every line took about
    /// 2 % of a 20,000-request run's CPU that way (perf, everything JIT-compiled so that frames have names).
    /// </remarks>
    internal static void FormatUtcMillisecond(DateTimeOffset value, Span<byte> destination)
    {
        var d = destination[..UtcMillisecondLength];
        var utc = value.UtcDateTime;
        utc.Deconstruct(out int year, out int month, out int day);
        var ofDay = utc.Ticks % TimeSpan.TicksPerDay;
        var ms = (int)(ofDay / TimeSpan.TicksPerMillisecond);
        Digits(d[..4], year);
        d[4] = (byte)'-';
        Digits(d.Slice(5, 2), month);
        d[7] = (byte)'-';
        Digits(d.Slice(8, 2), day);
        d[10] = (byte)'T';
        Digits(d.Slice(11, 2), ms / 3_600_000);
        d[13] = (byte)':';
        Digits(d.Slice(14, 2), ms / 60_000 % 60);
        d[16] = (byte)':';
        Digits(d.Slice(17, 2), ms / 1000 % 60);
        d[19] = (byte)'.';
        Digits(d.Slice(20, 3), ms % 1000);
        d[23] = (byte)'Z';
    }

    // The number's last digits, zero-padded to the span's length.
    private static void Digits(Span<byte> to, int value)
    {
        for (var i = to.Length - 1; i >= 0; i--)
        {
            to[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    // checkedJson: the response's facts already read the body whole (one JSON value, valid UTF-8), so the two passes
    // that establish it here are skipped.
    private static void WriteBody(Utf8JsonWriter w, ReadOnlySpan<byte> body, bool checkedJson)
    {
        if (body.IsEmpty)
        {
            w.WriteNullValue();
            return;
        }

        if (!checkedJson && !IsSingleJsonValue(body))
        {
            // A gateway may answer HTML or plain text (a 502 page); keep it, as a string, so the line stays JSON.
            // Its beginning says what happened; a huge one is cut, since escaping could make it too long for a line.
            w.WriteStringValue(body.Length <= MaxTextBody
                ? Encoding.UTF8.GetString(body)
                : Encoding.UTF8.GetString(body[..MaxTextBody]) + $" [... {body.Length - MaxTextBody:N0} more bytes not kept]");
            return;
        }

        if (!checkedJson && !Utf8.IsValid(body))
        {
            // JSON whose strings hold bytes that are not UTF-8 (a Latin-1 server): such bytes can only sit inside
            // strings, so replacing each bad sequence with U+FFFD keeps the value intact and the output file UTF-8.
            WriteBody(w, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body)), checkedJson: false);
            return;
        }

        if (body.IndexOfAny((byte)'\n', (byte)'\r') < 0)
        {
            w.WriteRawValue(body, skipInputValidation: true);
            return;
        }

        // Pretty-printed JSON would break the one-line-per-result format. In valid JSON a raw CR or LF can only
        // be whitespace between tokens (never inside a string), so turning them into spaces keeps the value intact.
        var rented = ArrayPool<byte>.Shared.Rent(body.Length);
        try
        {
            var copy = rented.AsSpan(0, body.Length);
            body.CopyTo(copy);
            copy.Replace((byte)'\n', (byte)' ');
            copy.Replace((byte)'\r', (byte)' ');
            w.WriteRawValue(copy, skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// True when <paramref name="utf8"/> holds exactly one JSON value (whitespace around it allowed) no deeper than
    /// <see cref="JsonLimits.MaxDepth"/>, so that the line holding it reads back.
    /// </summary>
    internal static bool IsSingleJsonValue(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, JsonLimits.Reader);
        try
        {
            if (!reader.Read())
            {
                return false;
            }

            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private sealed class NullBufferWriter : IBufferWriter<byte>
    {
        public static readonly NullBufferWriter Instance = new();

        public void Advance(int count)
        {
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => Array.Empty<byte>();

        public Span<byte> GetSpan(int sizeHint = 0) => Array.Empty<byte>();
    }
}
