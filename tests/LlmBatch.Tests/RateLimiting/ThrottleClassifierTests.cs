using System.Text;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch.Tests.RateLimiting;

public class ThrottleClassifierTests
{
    private static BatchResponse Response(int status, string body, RateLimitHeaders? headers = null) =>
        new() { StatusCode = status, Body = Encoding.UTF8.GetBytes(body), Headers = headers ?? RateLimitHeaders.Empty };

    [Fact]
    public void Classify_429WithLimitHeaders_RateLimitedWithTheBudgetItNames()
    {
        var kind = ThrottleClassifier.Classify(
            Response(429, """{"error":{"message":"Rate limit reached for gpt-4o-mini on tokens per min (TPM): Limit 200000, Used 199000, Requested 2000. Please try again in 300ms.","type":"tokens","code":"rate_limit_exceeded"}}""",
                new RateLimitHeaders { LimitTokens = 200_000, RemainingTokens = 1_000 }),
            out var scope,
            out var wait);
        Assert.Equal(ThrottleKind.RateLimited, kind);
        Assert.Equal(RateLimitScope.Tokens, scope);
        Assert.Equal(TimeSpan.FromMilliseconds(300), wait);
    }

    [Theory]
    [InlineData(429, "")]
    [InlineData(429, """{"error":"Model is overloaded"}""")]
    [InlineData(503, """{"error":{"message":"The server is overloaded or not ready yet."}}""")]
    [InlineData(529, """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""")]
    public void Classify_NoLimitHeaders_Overloaded(int status, string body) =>
        Assert.Equal(ThrottleKind.Overloaded, ThrottleClassifier.Classify(Response(status, body), out _));

    [Theory]
    [InlineData(200)]
    [InlineData(500)]
    [InlineData(400)]
    public void Classify_OtherStatus_None(int status) =>
        Assert.Equal(ThrottleKind.None, ThrottleClassifier.Classify(Response(status, "{}"), out _));

    [Fact]
    public void Classify_InsufficientQuotaAndRequestTooLarge_NotThrottles()
    {
        Assert.Equal(ThrottleKind.QuotaExhausted, ThrottleClassifier.Classify(Response(429, """{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"""), out _));
        Assert.Equal(ThrottleKind.RequestTooLarge, ThrottleClassifier.Classify(Response(429, """{"error":{"message":"Request too large for gpt-4o on tokens per min (TPM): Limit 30000, Requested 50000.","type":"tokens","code":"rate_limit_exceeded"}}""", new RateLimitHeaders { LimitTokens = 30_000 }), out _));
    }

    [Theory]
    [InlineData("Please try again in 20ms.", 20)]
    [InlineData("Please try again in 1.5s. Visit ...", 1500)]
    [InlineData("Please try again in 6m0s.", 360_000)]
    [InlineData("Please retry later.", -1)]
    [InlineData(null, -1)]
    public void WaitInMessage_GoDurations_Parsed(string? message, int expectedMs)
    {
        var wait = ThrottleClassifier.WaitInMessage(message);
        Assert.Equal(expectedMs < 0 ? null : TimeSpan.FromMilliseconds(expectedMs), wait);
    }
}
