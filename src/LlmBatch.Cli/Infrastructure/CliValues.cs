using System.Globalization;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// Checks typed flag values against the same bounds the library enforces, with a message that names the flag: a value
/// out of range is a usage error, never an overflow later. Reading the text is the converters' job (<see cref="DurationConverter"/>,
/// <see cref="SizeConverter"/>, <see cref="NumberConverter{T}"/>, <see cref="ChoiceConverter{T}"/>).
/// </summary>
internal static class CliValues
{
    /// <summary>Adds a problem naming <paramref name="flag"/> when a given duration is zero (unless allowed) or longer than <see cref="BatchOptions.MaxDuration"/>.</summary>
    public static void CheckDuration(List<string> problems, string flag, TimeSpan? value, bool allowZero, string example)
    {
        if (value is { } v && ((v == TimeSpan.Zero && !allowZero) || v > BatchOptions.MaxDuration))
        {
            problems.Add($"{flag}: {Duration(v)} is out of range; give a duration {(allowZero ? "from 0" : "above 0")} up to {BatchOptions.MaxDuration.TotalDays:0} days (e.g. {example})");
        }
    }

    /// <summary>Adds a problem naming <paramref name="flag"/> when a given size is outside <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static void CheckSize(List<string> problems, string flag, long? bytes, long min, long max, string example)
    {
        if (bytes is { } b && (b < min || b > max))
        {
            problems.Add($"{flag}: {Size(b)} must be a size from {Size(min)} to {Size(max)} (e.g. {example})");
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

    /// <summary>A duration as a flag would give it: <c>1200h</c>, <c>90s</c>, <c>1500ms</c>.</summary>
    public static string Duration(TimeSpan value) => value switch
    {
        _ when value.Ticks % TimeSpan.TicksPerHour == 0 => FormattableString.Invariant($"{(long)value.TotalHours}h"),
        _ when value.Ticks % TimeSpan.TicksPerMinute == 0 => FormattableString.Invariant($"{(long)value.TotalMinutes}m"),
        _ when value.Ticks % TimeSpan.TicksPerSecond == 0 => FormattableString.Invariant($"{(long)value.TotalSeconds}s"),
        _ => FormattableString.Invariant($"{value.TotalMilliseconds:0.###}ms"),
    };

    /// <summary>A size in the largest binary unit that divides it: <c>512 MiB</c>, <c>1,000 bytes</c>.</summary>
    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 40 when bytes % (1L << 40) == 0 => $"{bytes >> 40} TiB",
        >= 1L << 30 when bytes % (1L << 30) == 0 => $"{bytes >> 30} GiB",
        >= 1L << 20 when bytes % (1L << 20) == 0 => $"{bytes >> 20} MiB",
        >= 1L << 10 when bytes % (1L << 10) == 0 => $"{bytes >> 10} KiB",
        _ => bytes.ToString("N0", CultureInfo.InvariantCulture) + " bytes",
    };
}
