using System.Text;

namespace LlmBatch.Documents;

/// <summary>
/// Opens a text file with its encoding detected: a byte-order mark first, then UTF-8 when the first 64 KiB are valid
/// UTF-8, then Mozilla's universal charset detector (Ude) for legacy code pages. A file whose first 64 KiB hold a NUL
/// byte, or many control characters and no valid UTF-8, is binary and refused, so an image or an archive that found
/// its way into a folder of documents is skipped with a reason instead of embedded as noise.
/// </summary>
internal static class TextFileDecoder
{
    private const int SniffBytes = 64 * 1024;

    static TextFileDecoder() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>Opens the file for reading as text.</summary>
    /// <exception cref="DocumentUnreadableException">The file is binary.</exception>
    public static StreamReader Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        try
        {
            var head = new byte[SniffBytes];
            var n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            stream.Position = 0;
            var encoding = Detect(head.AsSpan(0, n));
            return new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The encoding of a file that starts with <paramref name="head"/>.</summary>
    /// <exception cref="DocumentUnreadableException">The bytes are binary, not text.</exception>
    internal static Encoding Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return new UTF8Encoding(false);
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0, 0]))
        {
            return new UTF32Encoding(bigEndian: false, byteOrderMark: true);
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            return Encoding.Unicode;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return Encoding.BigEndianUnicode;
        }

        if (head.IndexOf((byte)0) >= 0)
        {
            throw new DocumentUnreadableException("binary file (it holds NUL bytes), not text");
        }

        if (IsUtf8(head))
        {
            return new UTF8Encoding(false);
        }

        var control = 0;
        foreach (var b in head)
        {
            if (b < 0x20 && b is not ((byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f'))
            {
                control++;
            }
        }

        if (control > head.Length / 100)
        {
            throw new DocumentUnreadableException("binary file (control bytes, no text encoding fits), not text");
        }

        var detector = new Ude.CharsetDetector();
        var bytes = head.ToArray();
        detector.Feed(bytes, 0, bytes.Length);
        detector.DataEnd();
        if (detector.Charset is { } name)
        {
            try
            {
                return Encoding.GetEncoding(name);
            }
            catch (ArgumentException)
            {
                // A name .NET does not know: Windows-1252 below reads any byte.
            }
        }

        return Encoding.GetEncoding(1252);
    }

    // Valid UTF-8, allowing a sequence cut short by the end of the sniffed bytes.
    private static bool IsUtf8(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return true;
        }

        for (var cut = 1; cut <= 3 && cut < bytes.Length; cut++)
        {
            if (System.Text.Unicode.Utf8.IsValid(bytes[..^cut]) && bytes.Length == SniffBytes)
            {
                return true;
            }
        }

        return false;
    }
}
