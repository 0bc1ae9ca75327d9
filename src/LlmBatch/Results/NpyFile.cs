using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using LlmBatch.Output;

namespace LlmBatch.Results;

/// <summary>
/// Writes (and reads back) a float32 matrix in NumPy's <c>.npy</c> format, version 1.0: <c>numpy.load</c> opens it
/// as an array of shape (rows, columns), dtype <c>&lt;f4</c>, C order.
/// </summary>
internal static class NpyFile
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes a row-major float32 matrix.</summary>
    /// <param name="stream">Where to write; left open.</param>
    /// <param name="data">The values, row after row: exactly <paramref name="rows"/> × <paramref name="columns"/>.</param>
    /// <param name="rows">Rows of the matrix.</param>
    /// <param name="columns">Columns of the matrix.</param>
    /// <exception cref="ArgumentException">The data length is not rows × columns.</exception>
    public static void WriteFloat32(Stream stream, ReadOnlySpan<float> data, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if ((long)rows * columns != data.Length)
        {
            throw new ArgumentException($"The data has {data.Length} values; a {rows} x {columns} matrix needs {(long)rows * columns}.", nameof(data));
        }

        stream.Write(BuildHeader(rows, columns));
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data));
        }
        else
        {
            Span<byte> four = stackalloc byte[4];
            foreach (var v in data)
            {
                BinaryPrimitives.WriteSingleLittleEndian(four, v);
                stream.Write(four);
            }
        }
    }

    /// <summary>Writes a float32 matrix whose rows are given one array each (all of the same length).</summary>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="rows">The rows.</param>
    /// <param name="columns">The length of every row (needed when there are no rows).</param>
    /// <exception cref="ArgumentException">A row's length differs from <paramref name="columns"/>.</exception>
    public static void WriteFloat32(string path, IReadOnlyList<float[]> rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(rows);
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != columns)
            {
                throw new ArgumentException($"Row {i} has {rows[i].Length} values; expected {columns}.", nameof(rows));
            }
        }

        // Replaced in one step, never written through a link that stands at the path.
        using var file = AtomicFile.Begin(path, throughLink: false);
        var stream = file.Stream;
        stream.Write(BuildHeader(rows.Count, columns));
        Span<byte> four = stackalloc byte[4];
        foreach (var row in rows)
        {
            if (BitConverter.IsLittleEndian)
            {
                stream.Write(MemoryMarshal.AsBytes(row.AsSpan()));
            }
            else
            {
                foreach (var v in row)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(four, v);
                    stream.Write(four);
                }
            }
        }

        file.Commit();
    }

    /// <summary>Reads a 2-D <c>&lt;f4</c> C-order <c>.npy</c> file, as written by this class or by NumPy.</summary>
    /// <param name="stream">The file's content.</param>
    /// <returns>The values row after row, and the shape.</returns>
    /// <exception cref="InvalidDataException">The file is not a 2-D little-endian float32 C-order array.</exception>
    public static (float[] Data, int Rows, int Columns) ReadFloat32(Stream stream)
    {
        var (rows, columns) = ReadHeader(stream);
        var data = new float[checked(rows * columns)];
        stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = BinaryPrimitives.ReadSingleLittleEndian(BitConverter.GetBytes(data[i]));
            }
        }

        return (data, rows, columns);
    }

    /// <summary>Reads the header of a 2-D <c>&lt;f4</c> C-order <c>.npy</c> file, leaving the stream at the first value.</summary>
    /// <returns>The shape.</returns>
    /// <exception cref="InvalidDataException">The file is not a 2-D little-endian float32 C-order array.</exception>
    public static (int Rows, int Columns) ReadHeader(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> pre = stackalloc byte[10];
        stream.ReadExactly(pre);
        if (!pre[..6].SequenceEqual(Magic) || pre[6] != 1)
        {
            throw new InvalidDataException("Not a version 1 .npy file.");
        }

        var headerLength = BinaryPrimitives.ReadUInt16LittleEndian(pre[8..]);
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        var header = Encoding.ASCII.GetString(headerBytes);
        if (!header.Contains("'descr': '<f4'", StringComparison.Ordinal) || !header.Contains("'fortran_order': False", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Only little-endian float32 C-order arrays are supported; the header is {header.Trim()}.");
        }

        var open = header.IndexOf("'shape': (", StringComparison.Ordinal);
        var close = open < 0 ? -1 : header.IndexOf(')', open);
        if (close < 0)
        {
            throw new InvalidDataException("The .npy header has no shape.");
        }

        var dims = header[(open + 10)..close].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (dims.Length != 2)
        {
            throw new InvalidDataException($"Expected a 2-D array; the shape is ({header[(open + 10)..close]}).");
        }

        var rows = int.Parse(dims[0], CultureInfo.InvariantCulture);
        var columns = int.Parse(dims[1], CultureInfo.InvariantCulture);
        return (rows, columns);
    }

    /// <summary>
    /// The header of a 2-D float32 C-order array. It is 128 bytes for any shape a long can hold (the dictionary is
    /// padded to a multiple of 64), which is what lets <see cref="NpyWriter"/> write a placeholder first and patch
    /// the real row count in at the end.
    /// </summary>
    internal static byte[] BuildHeader(long rows, int columns)
    {
        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}";
        // Magic (6) + version (2) + length (2) + dict + padding + '\n' must be a multiple of 64, as NumPy writes it,
        // so that the data that follows is aligned.
        var unpadded = 10 + dict.Length + 1;
        var padding = (64 - (unpadded % 64)) % 64;
        var text = dict + new string(' ', padding) + "\n";
        var header = new byte[10 + text.Length];
        Magic.CopyTo(header);
        header[6] = 1;
        header[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)text.Length);
        Encoding.ASCII.GetBytes(text, header.AsSpan(10));
        return header;
    }
}
