using System.Globalization;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// Parses the human forms the command line accepts, durations (<c>400ms</c>, <c>1.5s</c>, <c>2m</c>) and sizes
/// (<c>512MB</c>), and checks every value against the same bounds the library enforces, with a message that names the
/// flag: a value out of range is a usage error, never an overflow later.
/// </summary>
internal static class CliValues
{
    /// <summary>Parses a duration of at most <see cref="BatchOptions.MaxDuration"/>; false for anything else.</summary>
    public static bool TryParseDuration(string? text, out TimeSpan value) =>
        DurationText.TryParse(text, out value) && value <= BatchOptions.MaxDuration;

    /// <summary>Parses a size in bytes (<c>512MB</c>, <c>2GiB</c>, <c>4096</c>); false when it is not one or is not positive.</summary>
    public static bool TryParseSize(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        var i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
        {
            i++;
        }

        if (i == 0 || !double.TryParse(s[..i], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        double factor = s[i..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1024,
            "M" or "MB" or "MIB" => 1024 * 1024,
            "G" or "GB" or "GIB" => 1024d * 1024 * 1024,
            "T" or "TB" or "TIB" => 1024d * 1024 * 1024 * 1024,
            _ => double.NaN,
        };
        var total = n * factor;
        if (double.IsNaN(factor) || !(total >= 1) || total > long.MaxValue / 2)
        {
            return false;
        }

        bytes = (long)total;
        return true;
    }

    /// <summary>Adds a problem naming <paramref name="flag"/> when a given duration is not one, or is out of range.</summary>
    public static void CheckDuration(List<string> problems, string flag, string? text, bool allowZero, string example)
    {
        if (text is null)
        {
            return;
        }

        if (DurationText.ParseMilliseconds(text) is null)
        {
            problems.Add($"{flag}: '{text}' is not a duration (e.g. {example})");
        }
        else if (!TryParseDuration(text, out var value) || (value == TimeSpan.Zero && !allowZero))
        {
            problems.Add($"{flag}: '{text}' is out of range; give a duration {(allowZero ? "from 0" : "above 0")} up to {BatchOptions.MaxDuration.TotalDays:0} days (e.g. {example})");
        }
    }

    /// <summary>Adds a problem naming <paramref name="flag"/> when a given size is not one, or is outside <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static void CheckSize(List<string> problems, string flag, string? text, long min, long max, string example)
    {
        if (text is null)
        {
            return;
        }

        if (!TryParseSize(text, out var bytes) || bytes < min || bytes > max)
        {
            problems.Add($"{flag}: '{text}' must be a size from {Size(min)} to {Size(max)} (e.g. {example})");
        }
    }

    /// <summary>Adds a problem naming <paramref name="flag"/> when a given number is outside <paramref name="min"/>..<paramref name="max"/> (NaN and infinities included).</summary>
    public static void CheckRange(List<string> problems, string flag, double? value, double min, double max, bool minExclusive = false)
    {
        if (value is not { } v)
        {
            return;
        }

        if (double.IsNaN(v) || (minExclusive ? v <= min : v < min) || v > max)
        {
            var low = minExclusive ? $"above {min.ToString(CultureInfo.InvariantCulture)}" : $"from {min.ToString("#,0", CultureInfo.InvariantCulture)}";
            problems.Add($"{flag}: {v.ToString(CultureInfo.InvariantCulture)} is out of range; give a number {low} up to {max.ToString("#,0", CultureInfo.InvariantCulture)}");
        }
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 40 when bytes % (1L << 40) == 0 => $"{bytes >> 40} TiB",
        >= 1L << 30 when bytes % (1L << 30) == 0 => $"{bytes >> 30} GiB",
        >= 1L << 20 when bytes % (1L << 20) == 0 => $"{bytes >> 20} MiB",
        >= 1L << 10 when bytes % (1L << 10) == 0 => $"{bytes >> 10} KiB",
        _ => bytes.ToString("N0", CultureInfo.InvariantCulture) + " bytes",
    };
}
