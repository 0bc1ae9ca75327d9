namespace LlmBatch.Input;

/// <summary>How a CSV delimiter is written on a command line and named in messages.</summary>
internal static class CsvDelimiter
{
    /// <summary>
    /// Reads a delimiter as a user types it: one character (<c>,</c> <c>;</c> <c>|</c>), or <c>\t</c>, <c>tab</c>,
    /// <c>comma</c>, <c>semicolon</c>, <c>pipe</c>, <c>space</c> for those that are awkward to quote in a shell.
    /// </summary>
    public static bool TryParse(string? text, out char delimiter)
    {
        delimiter = text?.ToLowerInvariant() switch
        {
            "\\t" or "tab" or "\t" => '\t',
            "comma" => ',',
            "semicolon" => ';',
            "pipe" => '|',
            "space" => ' ',
            { Length: 1 } one => one[0],
            _ => '\0',
        };
        return delimiter is not ('\0' or '"' or '\r' or '\n');
    }

    /// <summary>The delimiter in words, for messages.</summary>
    public static string Describe(char delimiter) => delimiter switch
    {
        ',' => "a comma",
        '\t' => "a tab",
        ';' => "a semicolon",
        ' ' => "a space",
        '"' => "a double quote",
        '\r' or '\n' => "a line break",
        _ => $"'{delimiter}'",
    };
}
