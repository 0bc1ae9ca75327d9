using System.Buffers;
using System.Text;
using System.Text.Unicode;
using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.Output;

/// <summary>
/// The one reader of line-based UTF-8 files: Batch API input, output and checkpoints, the Batch API's result
/// files, metadata, and the text, CSV and JSONL files that <c>prepare</c> converts. Every caller gets the same rules:
/// <list type="bullet">
/// <item>Lines end at <c>\n</c>; a <c>\r</c> just before it (CRLF) is left out of <see cref="Line"/>, as is a lone
/// <c>\r</c> ending an unterminated last line (the first half of its line end). A last line without a line end is
/// still a line (<see cref="Terminated"/> false), so callers can tell a torn write from a complete line.</item>
/// <item>A UTF-8 byte order mark is accepted only at the very start of the stream, where editors put it, and left out
/// of <see cref="Line"/>. Anywhere else it is <see cref="JsonlLineProblem.ByteOrderMark"/>: files joined with
/// <c>cat</c> carry one per part, and a reader that skipped them silently would also skip the question of what else
/// the join mangled.</item>
/// <item>A line longer than the cap is not kept: its bytes are counted (<see cref="LineLength"/>) and let go, so memory
/// stays at the cap whatever the file holds, and the line is <see cref="JsonlLineProblem.TooLong"/>.</item>
/// <item>Every kept line is checked as UTF-8 (vectorised; a few percent of a JSON parse), and a line that is not is
/// <see cref="JsonlLineProblem.InvalidUtf8"/>, reported with the offending byte and its position.</item>
/// <item>Blank lines (spaces, tabs, nothing) are lines like any other; <see cref="IsBlank"/> says so and the caller
/// skips them.</item>
/// </list>
/// A problem never throws: validation lists every bad line and goes on, while the output readers throw
/// <see cref="ProblemError"/> on a complete line and treat a torn last line as unfinished. The buffer is pooled and
/// grows only up to the cap; <see cref="Line"/> is a view into it, valid until the next read, so no line becomes a
/// string unless the caller makes it one. Byte offsets (<see cref="LineOffset"/>, <see cref="ContentOffset"/>) let
/// callers truncate, copy or index lines without holding them.
/// </summary>
internal sealed class JsonlLineReader : IDisposable, IAsyncDisposable
{
    /// <summary>
    /// The longest line any caller may allow (1 GiB): past it the buffer could not double again. Output lines stay far
    /// below it, since a response body is capped at half of it (<see cref="HttpBatchHandler.MaxMaxResponseBytes"/>).
    /// </summary>
    public const int MaxLineBytes = 1 << 30;

    private const int InitialBufferSize = 128 * 1024;

    private readonly Stream _stream;
    private readonly string _path;
    private readonly bool _ownsStream;
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private int _scanFrom;
    private long _bufferOffset;
    private bool _eof;
    private bool _skipping;
    private long _skipped;
    private long _skippedFrom;

    /// <summary>Reads lines from <paramref name="stream"/>'s current position.</summary>
    /// <param name="stream">The input.</param>
    /// <param name="path">The name used in errors.</param>
    /// <param name="maxLineBytes">The longest line kept, line end excluded (at most <see cref="MaxLineBytes"/>).</param>
    /// <param name="ownsStream">Whether disposing the reader disposes the stream.</param>
    public JsonlLineReader(Stream stream, string path, int maxLineBytes = MaxLineBytes, bool ownsStream = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLineBytes, MaxLineBytes);
        _stream = stream;
        _path = path;
        _ownsStream = ownsStream;
        _maxLineBytes = maxLineBytes;
        _buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(InitialBufferSize, (long)maxLineBytes + 2));
    }

    /// <summary>The name used in errors.</summary>
    public string Path => _path;

    /// <summary>The current line without its line end (and without the file's BOM); valid until the next read. Empty when <see cref="JsonlLineProblem.TooLong"/>.</summary>
    public ReadOnlyMemory<byte> Line { get; private set; }

    /// <summary>The 1-based number of the current line.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The current line's length in bytes, line end and BOM excluded; known even when the line was too long to keep.</summary>
    public long LineLength { get; private set; }

    /// <summary>Offset in the stream of the current line's first byte.</summary>
    public long LineOffset { get; private set; }

    /// <summary>Offset in the stream of the first byte of <see cref="Line"/> (after a BOM).</summary>
    public long ContentOffset { get; private set; }

    /// <summary>Bytes of the current line in the stream, its <c>\n</c> included when it has one.</summary>
    public long RawLength { get; private set; }

    /// <summary>True when the current line ended with <c>\n</c>; false only for an unterminated last line.</summary>
    public bool Terminated { get; private set; }

    /// <summary>Offset just past the current line: where the next line starts.</summary>
    public long EndOffset => LineOffset + RawLength;

    /// <summary>What is wrong with the current line as a line, before any parsing; <see cref="JsonlLineProblem.None"/> for most.</summary>
    public JsonlLineProblem Problem { get; private set; }

    /// <summary>Whether the current line holds only spaces, tabs and carriage returns (or nothing).</summary>
    public bool IsBlank => Problem == JsonlLineProblem.None && IsBlankSpan(Line.Span);

    /// <summary>Opens a file for reading, turning the ways opening fails into an input error that names the file.</summary>
    /// <exception cref="BatchInputException">The file is missing, a directory or unreadable.</exception>
    public static JsonlLineReader Open(string path, int maxLineBytes = MaxLineBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw FileError(path, "is a directory, not a file; give the path of a file");
        }

        FileStream stream;
        try
        {
            // bufferSize 0: this reader does its own buffering in large chunks. Not FileOptions.Asynchronous: see FillAsync.
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            throw FileError(path, "no such file");
        }
        catch (DirectoryNotFoundException)
        {
            throw FileError(path, "no such file (its folder does not exist)");
        }
        catch (UnauthorizedAccessException)
        {
            throw FileError(path, "cannot be read: permission denied");
        }
        catch (IOException ex)
        {
            throw FileError(path, "cannot be read: " + ex.Message);
        }

        return new JsonlLineReader(stream, path, maxLineBytes, ownsStream: true);
    }

    /// <summary>Whether a span holds only spaces, tabs and carriage returns.</summary>
    /// <remarks>
    /// A plain loop, not <c>IndexOfAnyExcept(" \t\r"u8)</c>: that one runs a vectorised searcher that ReadyToRun leaves
    /// to the JIT, and it stayed at tier 0 through the input check and the report's read-back. Called once per line of
    /// those passes, it was 5 % of a 20,000-request run's CPU (about 6 us a line, perf); this loop stops at the first
    /// byte of any real line.
    /// </remarks>
    public static bool IsBlankSpan(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Moves to the next line; false at the end of the stream.</summary>
    /// <exception cref="BatchInputException">The stream could not be read (names the file and the line).</exception>
    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var nl = _buffer.AsSpan(_scanFrom, _end - _scanFrom).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                var stop = _scanFrom + nl;
                SetLine(stop, terminated: true);
                _start = _scanFrom = stop + 1;
                return true;
            }

            _scanFrom = _end;
            if (_eof)
            {
                if (_start == _end && !_skipping)
                {
                    Line = default;
                    return false;
                }

                SetLine(_end, terminated: false);
                _start = _scanFrom = _end;
                return true;
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The current line's problem as an error naming the file and line; null when it has none.</summary>
    public BatchInputError? ProblemError() => Problem switch
    {
        JsonlLineProblem.TooLong => new BatchInputError(_path, LineNumber, "", $"the line is {FormatSize(LineLength)}, more than the limit of {FormatSize(_maxLineBytes)} per line"),
        JsonlLineProblem.InvalidUtf8 when LineOffset == 0 && Line.Span is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..] =>
            new BatchInputError(_path, LineNumber, "", "the file is encoded as UTF-16 (as Excel's \"Unicode Text\" saves it); save it as UTF-8"),
        JsonlLineProblem.InvalidUtf8 => new BatchInputError(_path, LineNumber, "", InvalidUtf8Message(Line.Span)),
        JsonlLineProblem.ByteOrderMark => new BatchInputError(_path, LineNumber, "", "starts with a byte order mark (U+FEFF), which belongs only at the start of the file (were several files joined?); remove it"),
        _ => null,
    };

    /// <summary>Throws <see cref="ProblemError"/> when the current line has a problem.</summary>
    /// <exception cref="BatchInputException">The current line has a problem.</exception>
    public void ThrowIfProblem()
    {
        if (ProblemError() is { } error)
        {
            throw new BatchInputException(error);
        }
    }

    /// <summary>A file size in words: bytes, or MiB with the exact bytes beside.</summary>
    public static string FormatSize(long bytes) => bytes >= 1024 * 1024
        ? $"{bytes / (1024.0 * 1024.0):0.0} MiB ({bytes:N0} bytes)"
        : $"{bytes:N0} bytes";

    public void Dispose()
    {
        ReturnBuffer();
        if (_ownsStream)
        {
            _stream.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        ReturnBuffer();
        if (_ownsStream)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static BatchInputException FileError(string path, string message) => new(new BatchInputError(path, 0, "", message));

    private static string InvalidUtf8Message(ReadOnlySpan<byte> span)
    {
        var at = 0;
        while (at < span.Length && Rune.DecodeFromUtf8(span[at..], out _, out var consumed) == OperationStatus.Done)
        {
            at += consumed;
        }

        at = Math.Min(at, span.Length - 1);
        return $"is not valid UTF-8 (byte 0x{span[at]:X2} at position {at + 1} of the line); save the file as UTF-8";
    }

    private void ReturnBuffer()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void SetLine(int stop, bool terminated)
    {
        LineNumber++;
        Terminated = terminated;
        Problem = JsonlLineProblem.None;
        var contentStart = _start;
        var length = stop - _start;
        var skipped = _skipping;
        if (skipped)
        {
            LineOffset = _skippedFrom;
            RawLength = _skipped + length + (terminated ? 1 : 0);
            LineLength = _skipped + length;
            _skipping = false;
            _skipped = 0;
        }
        else
        {
            LineOffset = _bufferOffset + _start;
            RawLength = length + (terminated ? 1 : 0);
            LineLength = length;
        }

        // The CR of a CRLF, or of a lone CR ending the last line (half a line end): never part of the content.
        if (length > 0 && _buffer[stop - 1] == (byte)'\r')
        {
            length--;
            LineLength--;
        }

        if (!skipped && LineOffset == 0 && length >= 3 && _buffer.AsSpan(contentStart, 3).SequenceEqual("\uFEFF"u8))
        {
            contentStart += 3;
            length -= 3;
            LineLength -= 3;
        }

        ContentOffset = LineOffset + (contentStart - _start);
        if (LineLength > _maxLineBytes)
        {
            Problem = JsonlLineProblem.TooLong;
            Line = default;
            return;
        }

        Line = _buffer.AsMemory(contentStart, length);
        var span = Line.Span;
        if (!Utf8.IsValid(span))
        {
            Problem = JsonlLineProblem.InvalidUtf8;
        }
        else if (span.StartsWith("\uFEFF"u8))
        {
            Problem = JsonlLineProblem.ByteOrderMark;
        }
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        var pending = _end - _start;
        if (_skipping || pending > _maxLineBytes + 1)
        {
            // Too long to keep (a CR may still follow the cap): count its bytes and let them go.
            if (!_skipping)
            {
                _skippedFrom = _bufferOffset + _start;
            }

            _skipping = true;
            _skipped += pending;
            _bufferOffset += _end;
            _start = _end = _scanFrom = 0;
        }
        else if (_start > 0)
        {
            // Keep the unfinished line at the front so the next read can complete it.
            _buffer.AsSpan(_start, pending).CopyTo(_buffer);
            _bufferOffset += _start;
            _scanFrom -= _start;
            _start = 0;
            _end = pending;
        }

        if (_end == _buffer.Length)
        {
            Grow();
        }

        int read;
        try
        {
            // A file opened for synchronous reads is read synchronously. Linux has no asynchronous reads of regular
            // files: the runtime would hand the same blocking read to a thread-pool thread and resume every caller up
            // the chain there, so a one-item run compiled the state-machine boxes of each reader and of its callers for
            // nothing. A read from the page cache takes microseconds, and a pipe blocks a thread either way.
            if (_stream is FileStream { IsAsync: false } file)
            {
                cancellationToken.ThrowIfCancellationRequested();
                read = file.Read(_buffer.AsSpan(_end));
            }
            else
            {
                read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException ex)
        {
            throw new BatchInputException(new BatchInputError(_path, LineNumber + 1, "", "the file could not be read: " + ex.Message));
        }
        catch (UnauthorizedAccessException)
        {
            throw FileError(_path, "cannot be read: permission denied");
        }

        if (read == 0)
        {
            _eof = true;
        }

        _end += read;
    }

    private void Grow()
    {
        // Capacity beyond the cap plus CR LF is never needed: a longer line is skipped, not kept.
        var size = (int)Math.Min((long)_buffer.Length * 2, (long)_maxLineBytes + 2);
        if (size <= _buffer.Length)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _end).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
