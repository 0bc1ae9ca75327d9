using System.Buffers;
using System.Text;
using LlmBatch.Output;

namespace LlmBatch.Tests.Output;

internal static class ResultFactory
{
    public static BatchResult Success(string customId, string body = """{"id":"chatcmpl-1","object":"chat.completion","usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}""", long line = 1) => new()
    {
        CustomId = customId,
        Id = CustomIdHash.ToResultId(customId),
        StatusCode = 200,
        RequestId = "req_123",
        ResponseBody = Encoding.UTF8.GetBytes(body),
        Stats = new BatchItemStats
        {
            Attempts = 2,
            Statuses = [429, 200],
            StartedAt = new DateTimeOffset(2026, 11, 28, 3, 0, 0, 123, TimeSpan.Zero),
            FinishedAt = new DateTimeOffset(2026, 11, 28, 4, 0, 1, 20, TimeSpan.FromHours(1)),
            LatencyMs = 412.46,
            LimiterWaitMs = 3.14,
            PromptTokens = 9,
            CompletionTokens = 12,
            UsageReported = true,
            Model = "gpt-4o-mini",
        },
        LineNumber = line,
    };

    public static BatchResult Failure(string customId, int status = 400, string body = """{"error":{"message":"bad"}}""", long line = 1) => new()
    {
        CustomId = customId,
        Id = CustomIdHash.ToResultId(customId),
        StatusCode = status,
        ResponseBody = Encoding.UTF8.GetBytes(body),
        Error = new BatchError(status == 0 ? "connection_error" : $"http_{status}", "bad request"),
        Stats = new BatchItemStats { Attempts = 1, Statuses = [status], Model = "m" },
        LineNumber = line,
    };

    public static string Line(BatchResult result)
    {
        var buffer = new ArrayBufferWriter<byte>();
        ResultLineWriter.Write(buffer, result);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string Lines(params BatchResult[] results) => string.Concat(results.Select(Line));
}
