using System.Globalization;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>Parses the human forms the command line accepts: durations (<c>400ms</c>, <c>1.5s</c>, <c>2m</c>) and sizes (<c>512MB</c>).</summary>
internal static class CliValues
{
    public static bool TryParseDuration(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (RateLimitHeaderParser.ParseDuration(text) is { } parsed)
        {
            value = parsed;
            return true;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }

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
            _ => double.NaN,
        };
        if (double.IsNaN(factor) || n <= 0)
        {
            return false;
        }

        bytes = (long)(n * factor);
        return true;
    }
}
