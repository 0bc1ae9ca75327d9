using System.Buffers;
using System.Text;
using System.Text.Json;

namespace LlmBatch.Json;

/// <summary>
/// Reads strings and property names from untrusted JSON without the exceptions System.Text.Json throws for text that
/// is valid JSON but not valid Unicode: an escaped lone surrogate (<c>"\ud83d"</c>, common in truncated real data)
/// makes <see cref="Utf8JsonReader.GetString"/>, <see cref="Utf8JsonReader.ValueTextEquals(ReadOnlySpan{byte})"/> and
/// <see cref="JsonElement.GetString"/> throw <see cref="InvalidOperationException"/>.
/// </summary>
internal static class JsonText
{
    /// <summary>
    /// <see cref="Utf8JsonReader.ValueTextEquals(ReadOnlySpan{byte})"/> that is false, instead of throwing, for a name
    /// or string holding a lone surrogate escape (no ASCII name can equal it).
    /// </summary>
    public static bool Is(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            return reader.ValueSpan.SequenceEqual(utf8);
        }

        try
        {
            return reader.ValueTextEquals(utf8);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads the current token as a whole number: an integer, or a number with a zero fraction (<c>200.0</c>,
    /// <c>2e2</c>), which other tools write for integers. False for anything else, or out of the range of a long.
    /// </summary>
    public static bool TryGetInteger(ref Utf8JsonReader reader, out long value)
    {
        value = 0;
        if (reader.TokenType != JsonTokenType.Number)
        {
            return false;
        }

        if (reader.TryGetInt64(out value))
        {
            return true;
        }

        if (reader.TryGetDouble(out var d) && double.IsFinite(d) && d == Math.Floor(d) && d is >= -9.2e18 and <= 9.2e18)
        {
            value = (long)d;
            return true;
        }

        return false;
    }

    /// <summary>Reads the current string token; false when it holds a lone surrogate escape.</summary>
    public static bool TryGetString(ref Utf8JsonReader reader, out string value)
    {
        try
        {
            value = reader.GetString() ?? "";
            return true;
        }
        catch (InvalidOperationException)
        {
            value = "";
            return false;
        }
    }

    /// <summary>Reads the current string token, a lone surrogate escape becoming U+FFFD.</summary>
    public static string GetLenient(ref Utf8JsonReader reader)
    {
        if (TryGetString(ref reader, out var value))
        {
            return value;
        }

        var raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        return Unescape(raw);
    }

    /// <summary>Reads a string element, a lone surrogate escape becoming U+FFFD.</summary>
    public static string GetLenient(JsonElement element)
    {
        try
        {
            return element.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            // The raw text is the quoted, still escaped form.
            var raw = Encoding.UTF8.GetBytes(element.GetRawText());
            return Unescape(raw.AsSpan(1, raw.Length - 2));
        }
    }

    /// <summary>
    /// Unescapes the content of a JSON string (without its quotes) as RFC 8259 says, except that an escaped surrogate
    /// without its partner becomes U+FFFD instead of an error; invalid UTF-8 becomes U+FFFD too.
    /// </summary>
    public static string Unescape(ReadOnlySpan<byte> escaped)
    {
        var sb = new StringBuilder(escaped.Length);
        var i = 0;
        while (i < escaped.Length)
        {
            var backslash = escaped[i..].IndexOf((byte)'\\');
            var run = backslash < 0 ? escaped[i..] : escaped.Slice(i, backslash);
            sb.Append(Encoding.UTF8.GetString(run));
            i += run.Length;
            if (backslash < 0 || i + 1 >= escaped.Length)
            {
                break;
            }

            var c = escaped[i + 1];
            i += 2;
            switch (c)
            {
                case (byte)'b': sb.Append('\b'); break;
                case (byte)'f': sb.Append('\f'); break;
                case (byte)'n': sb.Append('\n'); break;
                case (byte)'r': sb.Append('\r'); break;
                case (byte)'t': sb.Append('\t'); break;
                case (byte)'u' when TryHex(escaped, i, out var unit):
                    i += 4;
                    if (char.IsHighSurrogate(unit) && i + 1 < escaped.Length && escaped[i] == (byte)'\\' && escaped[i + 1] == (byte)'u'
                        && TryHex(escaped, i + 2, out var low) && char.IsLowSurrogate(low))
                    {
                        sb.Append(unit).Append(low);
                        i += 6;
                    }
                    else
                    {
                        sb.Append(char.IsSurrogate(unit) ? '\uFFFD' : unit);
                    }

                    break;
                default: sb.Append((char)c); break;
            }
        }

        return sb.ToString();
    }

    private static bool TryHex(ReadOnlySpan<byte> s, int at, out char value)
    {
        value = '\0';
        if (at + 4 > s.Length)
        {
            return false;
        }

        var n = 0;
        for (var k = 0; k < 4; k++)
        {
            var d = HexValue(s[at + k]);
            if (d < 0)
            {
                return false;
            }

            n = (n << 4) | d;
        }

        value = (char)n;
        return true;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
