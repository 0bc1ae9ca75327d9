using System.Globalization;

namespace LlmBatch;

/// <summary>
/// The one reader of durations in the codebase: the command line's flags, the simulator's flags and scenario files, and
/// OpenAI's <c>x-ratelimit-reset-*</c> headers all go through it, so that <c>30s</c> means the same everywhere.
/// </summary>
/// <remarks>
/// Forms: a number with a unit (<c>h</c>, <c>m</c> or <c>min</c>, <c>s</c>, <c>ms</c>, <c>us</c> or <c>µs</c>, <c>ns</c>),
/// several in a row (<c>1h2m3.5s</c>, <c>6m0s</c>, as OpenAI's headers write them), <c>[d.]hh:mm[:ss[.f]]</c> as
/// <see cref="TimeSpan"/> writes it (<c>7.00:00:00</c>), and a bare number, which is <b>seconds</b> (<c>0.5</c>), as in
/// <c>retry-after</c> and Go's durations. Units are case-sensitive (<c>m</c> is minutes, <c>ms</c> milliseconds).
/// Negative durations are not durations. Callers hold the result to their own bounds.
/// </remarks>
internal static class DurationText
{
    /// <summary>
    /// The milliseconds <paramref name="text"/> says, unbounded (possibly huge or infinite, for callers that clamp or
    /// report an out-of-range value), or null when it is not a non-negative duration.
    /// </summary>
    public static double? ParseMilliseconds(ReadOnlySpan<char> text)
    {
        var s = text.Trim();
        if (s.IsEmpty)
        {
            return null;
        }

        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var bareSeconds))
        {
            return bareSeconds >= 0 ? bareSeconds * 1000 : null;
        }

        if (s.Contains(':'))
        {
            return TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var clock) && clock >= TimeSpan.Zero ? clock.TotalMilliseconds : null;
        }

        double totalMs = 0;
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
            while (j < s.Length && (char.IsAsciiLetter(s[j]) || s[j] == 'µ'))
            {
                j++;
            }

            double factor = s[..j] switch
            {
                "h" => 3_600_000,
                "m" or "min" => 60_000,
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

            s = s[j..];
            totalMs += n * factor;
        }

        return totalMs;
    }

    /// <summary>
    /// Parses a duration that fits a <see cref="TimeSpan"/> (and timers: at most <see cref="MaxValue"/>); false for
    /// anything else, including durations too long to represent.
    /// </summary>
    /// <param name="text">The duration.</param>
    /// <param name="value">The duration read; zero when false is returned.</param>
    /// <param name="unitRequired">
    /// Refuse a bare number other than 0: for readers where one once meant milliseconds (the simulator), so that an
    /// old <c>--latency 400</c> is an error that asks for the unit rather than 400 seconds.
    /// </param>
    public static bool TryParse(ReadOnlySpan<char> text, out TimeSpan value, bool unitRequired = false)
    {
        value = TimeSpan.Zero;
        if (ParseMilliseconds(text) is not { } ms || !(ms <= MaxValue.TotalMilliseconds) || (unitRequired && ms != 0 && IsBareNumber(text)))
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(ms);
        return true;
    }

    /// <summary>True when <paramref name="text"/> is a bare number, which this reader takes as seconds.</summary>
    public static bool IsBareNumber(ReadOnlySpan<char> text) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>The longest duration <see cref="TryParse"/> returns: half of <see cref="TimeSpan.MaxValue"/>, so that adding it to a clock reading cannot overflow.</summary>
    public static TimeSpan MaxValue { get; } = TimeSpan.FromTicks(TimeSpan.MaxValue.Ticks / 2);
}
