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
    [InlineData("10000", 10000L)]
    [InlineData(" 42 ", 42L)]
    [InlineData("+42", 42L)]
    [InlineData("999999999999999999", RateLimitHeaderParser.MaxCount)]
    [InlineData("1000000000000", RateLimitHeaderParser.MaxCount)]
    [InlineData("999999999999", 999_999_999_999L)]
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

    private static System.Net.Http.Headers.HttpResponseHeaders Headers(params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage();
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response.Headers;
    }

    [Fact]
    public void Parse_ResponseHeaders_ReadsEveryNameInAnyCaseAmongOthers()
    {
        var headers = Headers(
            ("X-Request-Id", "req_1"),
            ("X-RateLimit-Limit-Requests", "6000"),
            ("x-ratelimit-limit-tokens", "150000"),
            ("x-ratelimit-remaining-requests", "5999"),
            ("Server", "sim"),
            ("x-ratelimit-remaining-tokens", "149000"),
            ("x-ratelimit-reset-requests", "10ms"),
            ("X-RATELIMIT-RESET-TOKENS", "1m30s"),
            ("retry-after-ms", "250"),
            ("Retry-After", "3"),
            ("x-should-retry", " TRUE "));

        var parsed = RateLimitHeaderParser.Parse(headers, Now);

        Assert.Equal(
            new RateLimitHeaders
            {
                LimitRequests = 6000,
                LimitTokens = 150000,
                RemainingRequests = 5999,
                RemainingTokens = 149000,
                ResetRequests = TimeSpan.FromMilliseconds(10),
                ResetTokens = TimeSpan.FromSeconds(90),
                RetryAfter = TimeSpan.FromMilliseconds(250),
                ShouldRetry = true,
            },
            parsed);
    }

    [Theory]
    [InlineData("Retry-After", "3", 3000)]
    [InlineData("x-ms-retry-after-ms", "40", 40)]
    public void Parse_ResponseHeaders_RetryAfterAlone(string name, string value, double expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), RateLimitHeaderParser.Parse(Headers((name, value)), Now).RetryAfter);

    [Fact]
    public void Parse_ResponseHeadersWithoutAnyRead_TheSharedEmpty()
    {
        var headers = Headers(("X-Request-Id", "req_1"), ("x-ratelimit", "1"), ("retry", "2"), ("Cache-Control", "no-cache"));

        Assert.Same(RateLimitHeaders.Empty, RateLimitHeaderParser.Parse(headers, Now));
    }

    [Fact]
    public void Parse_ResponseHeaderTwice_TheFirstValue()
    {
        var headers = Headers(("x-ratelimit-remaining-requests", "7"), ("x-ratelimit-remaining-requests", "9"));

        Assert.Equal(7, RateLimitHeaderParser.Parse(headers, Now).RemainingRequests);
    }

    [Theory]
    [InlineData("1ms")]
    [InlineData("0s")]
    [InlineData("6m0s")]
    [InlineData("1h2m3s")]
    [InlineData("20us")]
    [InlineData("7ns")]
    [InlineData("999999999999999ms")]
    [InlineData("1000000000000000ms")]
    [InlineData("1.5s")]
    [InlineData("0.5")]
    [InlineData(" 2s ")]
    [InlineData("2min")]
    [InlineData("5M")]
    [InlineData("s")]
    [InlineData("12")]
    [InlineData("1s2")]
    [InlineData("")]
    public void ParseDuration_WholeUnitsOrNot_SameAsTheOneDurationReader(string value)
    {
        var expected = DurationText.ParseMilliseconds(value) switch
        {
            null or double.NaN or < 0 => (TimeSpan?)null,
            var ms when ms >= RateLimitHeaderParser.MaxWait.TotalMilliseconds => RateLimitHeaderParser.MaxWait,
            var ms => TimeSpan.FromMilliseconds(ms.Value),
        };

        Assert.Equal(expected, RateLimitHeaderParser.ParseDuration(value));
    }
}
