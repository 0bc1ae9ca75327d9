using System.Buffers;
using System.Globalization;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Output;
using StackExchange.Redis;

namespace LlmBatch.Redis.Queue;

/// <summary>
/// How requests and results travel through the streams. A request is its Batch API input line (the body byte for
/// byte) and its input line number; a result is its output line, exactly as the output file will hold it, with its
/// custom_id and the worker that produced it. Workers parse a request line as the input reader does.
/// </summary>
internal static class RedisItemCodec
{
    public const string LineField = "n";
    public const string RequestField = "r";
    public const string CustomIdField = "c";
    public const string ResultField = "l";
    public const string WorkerField = "w";

    /// <summary>The entry id of an input line: <c>LINE-0</c>, increasing with the line, so a resumed enqueue is idempotent.</summary>
    public static RedisValue EntryId(long lineNumber) => lineNumber.ToString(CultureInfo.InvariantCulture) + "-0";

    /// <summary>The entry of one request.</summary>
    public static NameValueEntry[] Encode(BatchRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(request.Body.Length + request.CustomId.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("custom_id"u8, request.CustomId);
            writer.WriteString("method"u8, "POST"u8);
            writer.WriteString("url"u8, request.Url);
            writer.WritePropertyName("body"u8);
            writer.WriteRawValue(request.Body.Span, skipInputValidation: true);
            writer.WriteEndObject();
        }

        return
        [
            new(LineField, request.LineNumber),
            new(RequestField, buffer.WrittenMemory.ToArray()),
        ];
    }

    /// <summary>The request of an entry, or null (with the reason) when the entry is not one this codec wrote.</summary>
    public static BatchRequest? Decode(StreamEntry entry, string source, out string problem)
    {
        problem = "";
        var line = entry[RequestField];
        if (line.IsNull || !long.TryParse((string?)entry[LineField], NumberStyles.None, CultureInfo.InvariantCulture, out var lineNumber))
        {
            problem = $"entry {entry.Id} has no request";
            return null;
        }

        var errors = new List<BatchInputError>(1);
        var request = BatchLineParser.ParseLine((byte[])line!, source, lineNumber, errors);
        if (request is null)
        {
            problem = errors.Count > 0 ? errors[0].ToString() : $"entry {entry.Id} is not a request line";
        }

        return request;
    }

    /// <summary>The output line of a result (no trailing newline).</summary>
    public static byte[] EncodeResult(BatchResult result)
    {
        var buffer = new ArrayBufferWriter<byte>(result.ResponseBody.Length + 512);
        ResultLineWriter.Write(buffer, result);
        return buffer.WrittenSpan[..^1].ToArray();
    }

    /// <summary>The result of a result entry, or null (with the reason) when its line is not a valid output line.</summary>
    public static BatchResult? DecodeResult(StreamEntry entry, out string problem)
    {
        var line = entry[ResultField];
        if (line.IsNull)
        {
            problem = $"entry {entry.Id} has no result line";
            return null;
        }

        var result = OutputLineParser.Parse(((byte[])line!).AsSpan(), out var field, out problem);
        if (result is null && field.Length > 0)
        {
            problem = $"{field}: {problem}";
        }

        return result;
    }
}
