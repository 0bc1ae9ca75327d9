using System.Globalization;

namespace LlmBatch.Simulator;

/// <summary>Reads durations as people write them (<c>400ms</c>, <c>1.5s</c>, <c>2m</c>, <c>1h</c>, <c>1m30s</c>) and bare numbers as milliseconds.</summary>
internal static class DurationText
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.AsSpan().Trim();
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var bareMs))
        {
            if (!double.IsFinite(bareMs) || bareMs < 0)
            {
                return false;
            }

            value = TimeSpan.FromMilliseconds(bareMs);
            return true;
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
                return false;
            }

            s = s[i..];
            var j = 0;
            while (j < s.Length && char.IsAsciiLetter(s[j]))
            {
                j++;
            }

            double factor = s[..j] switch
            {
                "h" => 3_600_000,
                "m" or "min" => 60_000,
                "s" => 1_000,
                "ms" => 1,
                "us" => 0.001,
                _ => double.NaN,
            };
            if (double.IsNaN(factor))
            {
                return false;
            }

            s = s[j..];
            totalMs += n * factor;
        }

        if (!double.IsFinite(totalMs) || totalMs > TimeSpan.MaxValue.TotalMilliseconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(totalMs);
        return true;
    }
}
