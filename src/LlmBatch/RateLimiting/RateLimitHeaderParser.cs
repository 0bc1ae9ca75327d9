using System.Globalization;
using System.Net.Http.Headers;

namespace LlmBatch;

/// <summary>
/// Reads rate-limit and retry headers in OpenAI's and Azure's forms. Unreadable values are ignored rather than
/// failing the response: a provider's odd header must never cost a result.
/// </summary>
internal static class RateLimitHeaderParser
{
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
    /// Parses OpenAI's reset durations (<c>1s</c>, <c>120ms</c>, <c>6m0s</c>, <c>1h2m3.5s</c>, <c>20us</c>) and bare seconds (<c>0.5</c>).
    /// </summary>
    public static TimeSpan? ParseDuration(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var s = value.AsSpan().Trim();
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare))
        {
            return bare >= 0 && double.IsFinite(bare) ? TimeSpan.FromSeconds(bare) : null;
        }

        double totalMs = 0;
        var any = false;
        while (!s.IsEmpty)
        {
            var i = 0;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (i == 0 || !double.TryParse(s[..i], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                return null;
            }

            s = s[i..];
            var j = 0;
            while (j < s.Length && char.IsAsciiLetter(s[j]))
            {
                j++;
            }

            var unit = s[..j];
            s = s[j..];
            double factor = unit switch
            {
                "h" => 3_600_000,
                "m" => 60_000,
                "s" => 1_000,
                "ms" => 1,
                "us" or "µs" => 0.001,
                "ns" => 0.000_001,
                _ => double.NaN,
            };
            if (double.IsNaN(factor))
            {
                return null;
            }

            totalMs += n * factor;
            any = true;
        }

        return any ? TimeSpan.FromMilliseconds(totalMs) : null;
    }

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
            return seconds >= 0 && double.IsFinite(seconds) ? TimeSpan.FromSeconds(seconds) : null;
        }

        if (DateTimeOffset.TryParseExact(s, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            || DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date))
        {
            var wait = date - now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static TimeSpan? ParseMilliseconds(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return double.TryParse(value.AsSpan().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0 && double.IsFinite(ms)
            ? TimeSpan.FromMilliseconds(ms)
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
            return n >= 0 ? n : 0;
        }

        // Some servers send counts as decimals.
        return double.TryParse(value.AsSpan().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? (long)Math.Max(0, Math.Floor(d))
            : null;
    }

    private static string? First(HeaderStringValues values)
    {
        foreach (var v in values)
        {
            return v;
        }

        return null;
    }
}
