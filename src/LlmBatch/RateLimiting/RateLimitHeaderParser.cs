using System.Globalization;
using System.Net.Http.Headers;

namespace LlmBatch.RateLimiting;

/// <summary>
/// Reads rate-limit and retry headers in OpenAI's and Azure's forms. Unreadable values are ignored and values out of
/// range are clamped rather than failing the response: a provider's odd header must never cost a result, and no value
/// read here may overflow the clock arithmetic and timers downstream.
/// </summary>
internal static class RateLimitHeaderParser
{
    /// <summary>
    /// The longest wait a header is read as (one day): a longer one is a quota, not a rate, and would overflow timers
    /// (which stop at 49.7 days); the run pauses at most this long for it, and Ctrl+C still stops it.
    /// </summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);

    /// <summary>The largest count a header is read as (10^12 requests or tokens per minute, far above any provider's).</summary>
    public const long MaxCount = 1_000_000_000_000;

    /// <summary>Parses the headers of an HTTP response.</summary>
    public static RateLimitHeaders Parse(HttpResponseHeaders headers, DateTimeOffset now)
    {
        var nv = headers.NonValidated;
        return Parse(name => nv.TryGetValues(name, out var v) && v.Count > 0 ? First(v) : null, now);
    }

    /// <summary>Parses headers given by a lookup (case-insensitive names).</summary>
    public static RateLimitHeaders Parse(Func<string, string?> header, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(header);
        var limitRequests = ParseCount(header("x-ratelimit-limit-requests"));
        var limitTokens = ParseCount(header("x-ratelimit-limit-tokens"));
        var remainingRequests = ParseCount(header("x-ratelimit-remaining-requests"));
        var remainingTokens = ParseCount(header("x-ratelimit-remaining-tokens"));
        var resetRequests = ParseDuration(header("x-ratelimit-reset-requests"));
        var resetTokens = ParseDuration(header("x-ratelimit-reset-tokens"));

        // The most precise form wins: milliseconds first, then retry-after in seconds or as an HTTP date.
        var retryAfter = ParseMilliseconds(header("retry-after-ms"))
            ?? ParseMilliseconds(header("x-ms-retry-after-ms"))
            ?? ParseRetryAfter(header("retry-after"), now);

        bool? shouldRetry = header("x-should-retry") switch
        {
            null => null,
            var s when s.Trim().Equals("true", StringComparison.OrdinalIgnoreCase) => true,
            var s when s.Trim().Equals("false", StringComparison.OrdinalIgnoreCase) => false,
            _ => null,
        };

        if (limitRequests is null && limitTokens is null && remainingRequests is null && remainingTokens is null
            && resetRequests is null && resetTokens is null && retryAfter is null && shouldRetry is null)
        {
            return RateLimitHeaders.Empty;
        }

        return new RateLimitHeaders
        {
            LimitRequests = limitRequests,
            LimitTokens = limitTokens,
            RemainingRequests = remainingRequests,
            RemainingTokens = remainingTokens,
            ResetRequests = resetRequests,
            ResetTokens = resetTokens,
            RetryAfter = retryAfter,
            ShouldRetry = shouldRetry,
        };
    }

    /// <summary>
    /// Parses OpenAI's reset durations (<c>1s</c>, <c>120ms</c>, <c>6m0s</c>, <c>1h2m3.5s</c>, <c>20us</c>) and bare seconds
    /// (<c>0.5</c>) with the one duration reader, <see cref="DurationText"/>, clamped to <see cref="MaxWait"/>.
    /// </summary>
    public static TimeSpan? ParseDuration(string? value) => Clamp(DurationText.ParseMilliseconds(value));

    /// <summary>Parses <c>retry-after</c>: delta-seconds (integer or decimal) or an HTTP date.</summary>
    public static TimeSpan? ParseRetryAfter(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var s = value.Trim();
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return seconds >= 0 ? Clamp(seconds * 1000) : null;
        }

        if (DateTimeOffset.TryParseExact(s, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            || DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date))
        {
            var wait = date - now;
            return wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < MaxWait ? wait : MaxWait;
        }

        return null;
    }

    private static TimeSpan? ParseMilliseconds(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return double.TryParse(value.AsSpan().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0
            ? Clamp(ms)
            : null;
    }

    private static long? ParseCount(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (long.TryParse(value.AsSpan().Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
        {
            return Math.Clamp(n, 0, MaxCount);
        }

        // Some servers send counts as decimals.
        return double.TryParse(value.AsSpan().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsNaN(d)
            ? (long)Math.Clamp(Math.Floor(d), 0, MaxCount)
            : null;
    }

    // NaN (from "inf - inf" sums) is unreadable; anything else non-negative, infinity included, is held to MaxWait.
    private static TimeSpan? Clamp(double? milliseconds) => milliseconds switch
    {
        null or double.NaN => null,
        < 0 => null,
        var ms when ms >= MaxWait.TotalMilliseconds => MaxWait,
        var ms => TimeSpan.FromMilliseconds(ms.Value),
    };

    private static string? First(HeaderStringValues values)
    {
        foreach (var v in values)
        {
            return v;
        }

        return null;
    }
}
