using System.Buffers;
using System.Globalization;

namespace LlmBatch.Results;

/// <summary>CSV fields as the merge writes them: safe to open in a spreadsheet, quoted as RFC 4180 says.</summary>
internal static class CsvText
{
    private static readonly SearchValues<char> s_numberChars = SearchValues.Create("0123456789.eE+-");

    /// <summary>
    /// Writes a CSV field safely. A value that a spreadsheet would run as a formula (it starts with <c>=</c>, <c>+</c>,
    /// <c>-</c>, <c>@</c>, a tab or a carriage return; model output and input columns are untrusted text) gets a leading
    /// <c>'</c>, as OWASP recommends, so it shows as text; a plain number such as <c>-3.5</c> cannot be a formula and is
    /// left as it is. Then a field holding a comma, quote or line break is quoted (RFC 4180).
    /// </summary>
    public static string Field(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !IsPlainNumber(value))
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n\t") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    // Digits with an optional sign, decimal point and exponent: what a spreadsheet reads as a number, never a formula.
    private static bool IsPlainNumber(string value) =>
        value.Length > 1 && value.AsSpan(1).IndexOfAnyExcept(s_numberChars) < 0 && char.IsAsciiDigit(value[1])
        && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
