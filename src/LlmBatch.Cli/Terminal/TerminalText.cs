using System.Globalization;
using System.Text;

namespace LlmBatch.Cli.Terminal;

/// <summary>
/// Makes text from outside (custom_ids, file names, server messages, model names) safe to print: control characters
/// become visible escapes (<c>\u001b</c>), so an ESC byte in a custom_id cannot recolour, hide or rewrite what the
/// terminal shows, and bidirectional overrides cannot reorder it. Line feeds and tabs stay; a carriage return stays
/// only as part of a line end.
/// </summary>
internal static class TerminalText
{
    /// <summary>The text with every unsafe character escaped; the same instance when there is none.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return FirstUnsafe(text) < 0 ? text : Escape(text.AsSpan());
    }

    /// <summary>The text with every unsafe character escaped.</summary>
    public static string Escape(ReadOnlySpan<char> text)
    {
        var sb = new StringBuilder(text.Length + 16);
        Append(sb, text);
        return sb.ToString();
    }

    /// <summary>Appends <paramref name="text"/> to <paramref name="sb"/> with every unsafe character escaped.</summary>
    public static void Append(StringBuilder sb, ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (IsUnsafe(c) && !(c == '\r' && i + 1 < text.Length && text[i + 1] == '\n'))
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }
    }

    /// <summary>The index of the first character <see cref="Append"/> would escape, or -1.</summary>
    public static int FirstUnsafe(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsUnsafe(text[i]) && !(text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n'))
            {
                return i;
            }
        }

        return -1;
    }

    // C0 controls but line feed and tab, DEL, C1 controls (0x9B is a one-byte CSI on some terminals), and the
    // Unicode marks that reorder text on screen.
    private static bool IsUnsafe(char c) =>
        (c < ' ' && c is not '\n' and not '\t')
        || c is >= '\u007f' and <= '\u009f'
        || c is '\u061c' or '\u200e' or '\u200f' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');
}
