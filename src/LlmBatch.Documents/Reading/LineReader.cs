using System.Runtime.CompilerServices;
using System.Text;

namespace LlmBatch.Documents;

/// <summary>
/// Reads text as lines that keep their line ends (<c>\n</c>, <c>\r\n</c>), so that joining them gives the text back
/// exactly. A line longer than <see cref="MaxLineChars"/> (a 500 MB file with no line break) comes out in pieces cut
/// after a space where there is one, so memory never depends on how the text is laid out.
/// </summary>
internal static class LineReader
{
    /// <summary>The longest piece returned.</summary>
    public const int MaxLineChars = 64 * 1024;

    /// <summary>The lines of the reader; <c>Continued</c> is true for a piece that continues the line before it.</summary>
    public static async IAsyncEnumerable<(string Text, bool Continued)> ReadAsync(TextReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = new char[16 * 1024];
        var line = new StringBuilder();
        var continued = false;
        int n;
        while ((n = await reader.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
        {
            var start = 0;
            while (start < n)
            {
                var nl = Array.IndexOf(buffer, '\n', start, n - start);
                var end = nl < 0 ? n : nl + 1;
                line.Append(buffer, start, end - start);
                start = end;
                if (nl >= 0)
                {
                    yield return (line.ToString(), continued);
                    line.Clear();
                    continued = false;
                }
                else if (line.Length >= MaxLineChars)
                {
                    var cut = CutPoint(line);
                    yield return (line.ToString(0, cut), continued);
                    line.Remove(0, cut);
                    continued = true;
                }
            }
        }

        if (line.Length > 0)
        {
            yield return (line.ToString(), continued);
        }
    }

    // After the last whitespace in the second half, else at the limit (never between a surrogate pair).
    private static int CutPoint(StringBuilder line)
    {
        for (var i = line.Length - 1; i > line.Length / 2; i--)
        {
            if (char.IsWhiteSpace(line[i]))
            {
                return i + 1;
            }
        }

        var cut = line.Length;
        return char.IsHighSurrogate(line[cut - 1]) ? cut - 1 : cut;
    }

    /// <summary>True when the line holds nothing but whitespace.</summary>
    public static bool IsBlank(string line) => line.AsSpan().Trim().IsEmpty;
}
