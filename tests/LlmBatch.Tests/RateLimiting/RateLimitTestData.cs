using System.Text;
using LlmBatch.Input;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch.Tests.RateLimiting;

/// <summary>Requests and responses for the rate-limiting tests.</summary>
internal static class RateLimitTestData
{
    public static BatchCall Chat(string id = "a", int promptTokens = 10, int? maxTokens = 100)
    {
        var body = maxTokens is { } m
            ? $$"""{"model":"gpt-4o-mini","max_tokens":{{m}},"messages":[{"role":"user","content":"hi"}]}"""
            : """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""";
        return new BatchCall(BatchRequest.Create(id, "/v1/chat/completions", body)) { EstimatedPromptTokens = promptTokens };
    }

    public static BatchCall Embedding(string id = "e", int promptTokens = 10) =>
        new(BatchRequest.Create(id, "/v1/embeddings", """{"model":"text-embedding-3-small","input":"hi"}""")) { EstimatedPromptTokens = promptTokens };

    public static BatchResponse Ok(RateLimitHeaders? headers = null, int? promptTokens = null, int? completionTokens = null)
    {
        var body = promptTokens is { } p
            ? $$$"""{"id":"x","choices":[],"usage":{"prompt_tokens":{{{p}}},"completion_tokens":{{{completionTokens ?? 0}}}}}"""
            : """{"id":"x","choices":[]}""";
        return new BatchResponse { StatusCode = 200, Body = Encoding.UTF8.GetBytes(body), Headers = headers ?? RateLimitHeaders.Empty };
    }

    public static BatchResponse TooMany(RateLimitHeaders? headers = null) => new()
    {
        StatusCode = 429,
        Body = """{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"""u8.ToArray(),
        Headers = headers ?? RateLimitHeaders.Empty,
    };

    public static BatchOptions Options(double? rpm = null, double? tpm = null, bool learn = true) => new()
    {
        RequestsPerMinute = rpm,
        TokensPerMinute = tpm,
        LearnLimitsFromHeaders = learn,
    };
}
