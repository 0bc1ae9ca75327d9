using System.Globalization;
using System.Text;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch.Tests.TestSupport.Servers;

/// <summary>The answers the scripted servers give.</summary>
internal static class Responses
{
    private static readonly byte[] s_chat = """{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}],"usage":{"prompt_tokens":20,"completion_tokens":30}}"""u8.ToArray();

    public static BatchResponse Ok(RateLimitHeaders? headers = null) =>
        new() { StatusCode = 200, Body = s_chat, Headers = headers ?? RateLimitHeaders.Empty };

    public static BatchResponse Status(int status, RateLimitHeaders? headers = null) => new()
    {
        StatusCode = status,
        Body = Encoding.UTF8.GetBytes($$$"""{"error":{"message":"status {{{status}}}","type":"server_error","code":null}}"""),
        Headers = headers ?? RateLimitHeaders.Empty,
    };

    public static BatchResponse RateLimited(string type, TimeSpan wait, RateLimitHeaders headers) => new()
    {
        StatusCode = 429,
        Body = Encoding.UTF8.GetBytes($$$"""{"error":{"message":"Rate limit reached on {{{type}}}. Please try again in {{{Math.Max(1, (int)Math.Ceiling(wait.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture)}}}ms.","type":"{{{type}}}","code":"rate_limit_exceeded"}}"""),
        Headers = headers,
    };
}
