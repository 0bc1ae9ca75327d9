using System.Text.Unicode;

namespace LlmBatch.Input;

/// <summary>
/// What a file that fails as JSONL from its first line looks like instead (a JSON array, a pretty-printed document,
/// CSV, plain text, binary), so the user reads one sentence about the file rather than a parser error per line.
/// </summary>
internal static class InputFileShape
{
    private const string Example =
        "{\"custom_id\":\"req-1\",\"method\":\"POST\",\"url\":\"" + EndpointPaths.ChatCompletions + "\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}}";

    private const string ExpectedJsonl = "expected JSONL: one request object per line, for example " + Example;

    /// <summary>Shapes that are certain from the first line alone: no JSONL line can start with "[" or be a lone open object.</summary>
    public static string? DescribeNotJsonl(ReadOnlySpan<byte> line)
    {
        var trimmed = line.TrimStart(" \t\r"u8);
        if (trimmed[0] == (byte)'[')
        {
            return "a JSON array (it starts with \"[\")";
        }

        return trimmed[0] == (byte)'{' && BatchLineParser.IsIncompleteJson(trimmed)
            ? "a pretty-printed JSON document (one object spread over several lines)"
            : null;
    }

    /// <summary>
    /// What a first line that is not JSON at all suggests the file is (CSV, plain text, binary), or null when it
    /// starts like JSON. Only a guess: the caller trusts it when the next line fails too, since one stray header
    /// line in a JSONL file deserves its own plain error instead.
    /// </summary>
    public static string? GuessNonJson(ReadOnlySpan<byte> line)
    {
        var trimmed = line.TrimStart(" \t\r"u8);
        if (trimmed.IsEmpty || trimmed[0] is (byte)'{' or (byte)'[')
        {
            return null;
        }

        if (!Utf8.IsValid(trimmed))
        {
            return "a binary file, not UTF-8 text (compressed, perhaps?)";
        }

        return trimmed.IndexOfAny(",;\t"u8) >= 0 ? "CSV or TSV (its lines do not start with \"{\")" : "plain text (its lines do not start with \"{\")";
    }

    /// <summary>The one error for a file that is not JSONL, given what it looks like.</summary>
    public static string NotJsonlMessage(string shape) => $"the file is not JSONL: it looks like {shape}; {ExpectedJsonl}";
}
