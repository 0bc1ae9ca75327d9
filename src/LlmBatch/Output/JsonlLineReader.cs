using System.Buffers;
using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.Output;

/// <summary>
/// Splits a stream into <c>\n</c>-terminated lines over one pooled buffer, keeping each line's byte offset
/// so that callers can truncate, copy or index lines without holding them. A leading UTF-8 BOM and a
/// trailing <c>\r</c> are left out of <see cref="Line"/> but counted in offsets and lengths.
/// </summary>
internal sealed class JsonlLineReader : IDisposable
{
    /// <summary>
    /// The longest line read (1 GiB): past it the buffer could not double again. Output lines stay far below it, since
    /// a response body is capped at half of it (<see cref="HttpBatchHandler.MaxMaxResponseBytes"/>).
    /// </summary>
    public const int MaxLineBytes = 1 << 30;

    private readonly Stream _stream;
    private readonly string _path;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private int _scanFrom;
    private long _bufferOffset;
    private bool _eof;
    private bool _first = true;

    public JsonlLineReader(Stream stream, string path, int bufferSize = 1 << 18)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(path);
        _stream = stream;
        _path = path;
        _buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
    }

    /// <summary>The current line without its line end; valid until the next read.</summary>
    public ReadOnlyMemory<byte> Line { get; private set; }

    /// <summary>Offset in the stream of the current line's first byte.</summary>
    public long LineOffset { get; private set; }

    /// <summary>Offset in the stream of the first byte of <see cref="Line"/> (after a BOM).</summary>
    public long ContentOffset { get; private set; }

    /// <summary>Bytes of the current line in the stream, its <c>\n</c> included when it has one.</summary>
    public int RawLength { get; private set; }

    /// <summary>True when the current line ended with <c>\n</c>; false only for an unterminated last line.</summary>
    public bool Terminated { get; private set; }

    /// <summary>The 1-based number of the current line.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Offset just past the current line: where the next line starts.</summary>
    public long EndOffset => LineOffset + RawLength;

    /// <summary>Moves to the next line; false at the end of the stream.</summary>
    /// <exception cref="BatchInputException">A line is longer than <see cref="MaxLineBytes"/>.</exception>
    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var nl = _buffer.AsSpan(_scanFrom, _end - _scanFrom).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                var stop = _scanFrom + nl;
                SetLine(_start, stop - _start, terminated: true);
                _start = stop + 1;
                _scanFrom = _start;
                return true;
            }

            if (_eof)
            {
                if (_start < _end)
                {
                    SetLine(_start, _end - _start, terminated: false);
                    _start = _end;
                    _scanFrom = _end;
                    return true;
                }

                return false;
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void SetLine(int start, int length, bool terminated)
    {
        LineNumber++;
        LineOffset = _bufferOffset + start;
        RawLength = length + (terminated ? 1 : 0);
        Terminated = terminated;
        var contentStart = start;
        var contentLength = length;
        if (_first)
        {
            _first = false;
            if (_buffer.AsSpan(start, length).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                contentStart += 3;
                contentLength -= 3;
            }
        }

        if (contentLength > 0 && _buffer[contentStart + contentLength - 1] == (byte)'\r')
        {
            contentLength--;
        }

        ContentOffset = _bufferOffset + contentStart;
        Line = _buffer.AsMemory(contentStart, contentLength);
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        // Everything up to _end was searched already and held no line end.
        _scanFrom = _end;
        var pending = _end - _start;
        if (_start > 0)
        {
            // Keep the unfinished line at the front so the next read can complete it.
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
            _bufferOffset += _start;
            _scanFrom -= _start;
            _start = 0;
            _end = pending;
        }

        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= MaxLineBytes)
            {
                throw new BatchInputException(new BatchInputError(_path, LineNumber + 1, "", $"the line is longer than {MaxLineBytes:N0} bytes, more than any output line holds"));
            }

            // One line is longer than the buffer: grow rather than fail, lines carry whole responses.
            var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            _eof = true;
        }

        _end += read;
    }
}
