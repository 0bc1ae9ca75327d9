using LlmBatch.RateLimiting;
using LlmBatch.Resilience;

namespace LlmBatch.Tests.RateLimiting;

/// <summary>Header values from a server are clamped into the ranges the clock and timers can take; none ever throws.</summary>
public class RateLimitHeaderParserTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static RateLimitHeaders Parse(string name, string value) =>
        RateLimitHeaderParser.Parse(h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase) ? value : null, Now);

    [Theory]
    [InlineData("x-ratelimit-reset-requests", "1e300")]
    [InlineData("x-ratelimit-reset-requests", "Infinity")]
    [InlineData("x-ratelimit-reset-tokens", "99999999999h")]
    [InlineData("x-ratelimit-reset-tokens", "99999999999999999999h99999999999999999999m")]
    public void Parse_ResetBeyondADay_HeldToADay(string name, string value)
    {
        var headers = Parse(name, value);

        Assert.Equal(RateLimitHeaderParser.MaxWait, headers.ResetRequests ?? headers.ResetTokens);
    }

    [Theory]
    [InlineData("retry-after", "1e300")]
    [InlineData("retry-after", "4294968")]
    [InlineData("retry-after-ms", "1e300")]
    [InlineData("x-ms-retry-after-ms", "Infinity")]
    [InlineData("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")]
    public void Parse_RetryAfterBeyondADay_HeldToADay(string name, string value) =>
        Assert.Equal(RateLimitHeaderParser.MaxWait, Parse(name, value).RetryAfter);

    [Theory]
    [InlineData("1e300", RateLimitHeaderParser.MaxCount)]
    [InlineData("99999999999999999999999", RateLimitHeaderParser.MaxCount)]
    [InlineData("-1e300", 0L)]
    [InlineData("-5", 0L)]
    [InlineData("1500.7", 1500L)]
    public void Parse_Counts_ClampedIntoRange(string value, long expected) =>
        Assert.Equal(expected, Parse("x-ratelimit-limit-tokens", value).LimitTokens);

    [Theory]
    [InlineData("NaN")]
    [InlineData("-3")]
    [InlineData("soon")]
    [InlineData("1x")]
    public void Parse_UnreadableWait_Ignored(string value)
    {
        Assert.Null(Parse("retry-after", value).RetryAfter);
        Assert.Null(Parse("x-ratelimit-reset-requests", value).ResetRequests);
    }

    [Fact]
    public void Next_ServerAsksForFiftyDays_HeldToADaySoNoTimerOverflows()
    {
        var backoff = new RetryBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), new Random(3));

        var delay = backoff.Next(1, TimeSpan.FromDays(50));

        Assert.InRange(delay, RateLimitHeaderParser.MaxWait, RateLimitHeaderParser.MaxWait + TimeSpan.FromSeconds(1));
        // A negative wait is no wait at all: the ordinary backoff applies, never a hot loop.
        Assert.InRange(backoff.Next(1, TimeSpan.FromSeconds(-5)), TimeSpan.Zero, backoff.UpperBound(1));
    }
}
