using System.Globalization;

namespace LlmBatch.Cli.Infrastructure;

/// <summary><c>--max-memory 512MB</c>: a positive size in bytes, <c>512MB</c>, <c>2GiB</c>, <c>1.5G</c> or <c>4096</c>; K, M, G, T are powers of 1024.</summary>
internal sealed class SizeConverter : FlagValueConverter<long>
{
    /// <inheritdoc />
    public override long Parse(string text) =>
        TryParse(text, out var bytes) ? bytes : throw new FlagValueException(text, "is not a size (e.g. 512MB, 2GB)");

    /// <summary>Parses a size in bytes; false when it is not one or is not positive.</summary>
    public static bool TryParse(string? text, out long bytes)
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
}
