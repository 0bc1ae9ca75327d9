using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;

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

    /// <summary>The headers read, in the order of <see cref="Values"/>'s slots.</summary>
    private static readonly string[] s_names =
    [
        "x-ratelimit-limit-requests",
        "x-ratelimit-limit-tokens",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-remaining-tokens",
        "x-ratelimit-reset-requests",
        "x-ratelimit-reset-tokens",
        "retry-after-ms",
        "x-ms-retry-after-ms",
        "retry-after",
        "x-should-retry",
    ];

    /// <summary>Parses the headers of an HTTP response.</summary>
    public static RateLimitHeaders Parse(HttpResponseHeaders headers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(headers);

        // One pass over the headers the response has, rather than a lookup per name: every answer is read here, and
        // a lookup validates the name and builds a descriptor for each of the ten, most of them absent. The values
        // are held on the stack: every answer of a server that sends limits comes through here.
        var values = default(Values);
        var any = false;
        foreach (var (name, header) in headers.NonValidated)
        {
            var slot = Slot(name);
            if (slot >= 0 && header.Count > 0)
            {
                values[slot] ??= First(header);
                any = true;
            }
        }

        return any ? Parse(in values, now) : RateLimitHeaders.Empty;
    }

    /// <summary>Parses headers given by a lookup (case-insensitive names).</summary>
    public static RateLimitHeaders Parse(Func<string, string?> header, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(header);
        var values = default(Values);
        for (var i = 0; i < s_names.Length; i++)
        {
            values[i] = header(s_names[i]);
        }

        return Parse(in values, now);
    }

    private static RateLimitHeaders Parse(in Values header, DateTimeOffset now)
    {
        var limitRequests = ParseCount(header[0]);
        var limitTokens = ParseCount(header[1]);
        var remainingRequests = ParseCount(header[2]);
        var remainingTokens = ParseCount(header[3]);
        var resetRequests = ParseDuration(header[4]);
        var resetTokens = ParseDuration(header[5]);

        // The most precise form wins: milliseconds first, then retry-after in seconds or as an HTTP date.
        var retryAfter = ParseMilliseconds(header[6])
            ?? ParseMilliseconds(header[7])
            ?? ParseRetryAfter(header[8], now);

        bool? shouldRetry = header[9] switch
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

    /// <summary>The slot of a header read here, or -1; names compare case-insensitively, as HTTP's do.</summary>
    private static int Slot(string name)
    {
        // Every name read starts with "x-" or "retry-": the other headers of an answer are passed over on a character.
        if (name.Length < 11 || (name[0] | 0x20) is not ('x' or 'r'))
        {
            return -1;
        }

        for (var i = 0; i < s_names.Length; i++)
        {
            if (name.Equals(s_names[i], StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Parses OpenAI's reset durations (<c>1s</c>, <c>120ms</c>, <c>6m0s</c>, <c>1h2m3.5s</c>, <c>20us</c>) and bare seconds
    /// (<c>0.5</c>) with the one duration reader, <see cref="DurationText"/>, clamped to <see cref="MaxWait"/>.
    /// </summary>
    public static TimeSpan? ParseDuration(string? value) =>
        Clamp(TryParseWholeUnits(value, out var ms) ? ms : DurationText.ParseMilliseconds(value));

    /// <summary>
    /// The form every answer's reset headers take (<c>1ms</c>, <c>0s</c>, <c>6m0s</c>: whole numbers with units), read
    /// without <see cref="double.TryParse(string?, out double)"/>, whose failure on the unit <see cref="DurationText"/>
    /// meets first. Anything else (fractions, bare seconds, spaces) is left to <see cref="DurationText"/>; the sum is
    /// the same arithmetic, so both give the same value.
    /// </summary>
    private static bool TryParseWholeUnits(string? value, out double milliseconds)
    {
        milliseconds = 0;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        var s = value.AsSpan();
        while (!s.IsEmpty)
        {
            var i = 0;
            long n = 0;
            while (i < s.Length && i < 15 && char.IsAsciiDigit(s[i]))
            {
                n = (n * 10) + (s[i] - '0');
                i++;
            }

            var j = i;
            while (j < s.Length && char.IsAsciiLetterLower(s[j]))
            {
                j++;
            }

            double factor = s[i..j] switch
            {
                "h" => 3_600_000,
                "m" => 60_000,
                "s" => 1_000,
                "ms" => 1,
                "us" => 0.001,
                "ns" => 0.000_001,
                _ => double.NaN,
            };
            if (i == 0 || double.IsNaN(factor))
            {
                return false;
            }

            milliseconds += n * factor;
            s = s[j..];
        }

        return true;
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
        if (TryParseDigits(value, out var whole))
        {
            return Math.Min(whole, MaxCount);
        }

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

    /// <summary>
    /// The form every count header takes (<c>10000</c>: ASCII digits, nothing else), read without the culture-aware
    /// <see cref="long.TryParse(ReadOnlySpan{char}, NumberStyles, IFormatProvider?, out long)"/>: four counts come with
    /// every answer. Anything else (signs, spaces, decimals, more than 18 digits) is left to it.
    /// </summary>
    private static bool TryParseDigits(string? value, out long n)
    {
        n = 0;
        if (value is null || value.Length is 0 or > 18)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            n = (n * 10) + (c - '0');
        }

        return true;
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

    /// <summary>The raw values of the headers read, one slot per name of <see cref="s_names"/>.</summary>
    [InlineArray(10)]
    private struct Values
    {
        private string? _first;
    }
}
