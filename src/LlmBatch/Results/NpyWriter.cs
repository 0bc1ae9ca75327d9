using System.Buffers.Binary;
using System.Runtime.InteropServices;
using LlmBatch.Output;

namespace LlmBatch.Results;

/// <summary>
/// Writes a float32 <c>.npy</c> matrix in one pass, row by row, without knowing the row count first: the header
/// goes in with a placeholder shape of the same length, and the real shape is written over it at the end. The file
/// appears at its path only when <see cref="Complete"/> commits it; disposed before, it leaves nothing.
/// </summary>
internal sealed class NpyWriter : IDisposable
{
    private readonly AtomicFile _file;
    private readonly int _headerLength;

    public NpyWriter(string path, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Columns = columns;
        // Replaced in one step, never written through a link that stands at the path.
        _file = AtomicFile.Begin(path, throughLink: false);
        var placeholder = NpyFile.BuildHeader(long.MaxValue, columns);
        _headerLength = placeholder.Length;
        _file.Stream.Write(placeholder);
    }

    public int Columns { get; }

    public long Rows { get; private set; }

    /// <exception cref="ArgumentException">The row's length is not <see cref="Columns"/>.</exception>
    public void WriteRow(ReadOnlySpan<float> row)
    {
        if (row.Length != Columns)
        {
            throw new ArgumentException($"Row {Rows} has {row.Length} values; expected {Columns}.", nameof(row));
        }

        if (BitConverter.IsLittleEndian)
        {
            _file.Stream.Write(MemoryMarshal.AsBytes(row));
        }
        else
        {
            Span<byte> four = stackalloc byte[4];
            foreach (var v in row)
            {
                BinaryPrimitives.WriteSingleLittleEndian(four, v);
                _file.Stream.Write(four);
            }
        }

        Rows++;
    }

    /// <summary>Writes the real shape over the placeholder and puts the file in place.</summary>
    public void Complete()
    {
        var header = NpyFile.BuildHeader(Rows, Columns);
        if (header.Length != _headerLength)
        {
            throw new InvalidOperationException($"The .npy header for {Rows} rows is {header.Length} bytes, not the {_headerLength} reserved.");
        }

        var end = _file.Stream.Position;
        _file.Stream.Position = 0;
        _file.Stream.Write(header);
        _file.Stream.Position = end;
        _file.Commit();
    }

    public void Dispose() => _file.Dispose();
}
