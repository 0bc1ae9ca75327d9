using System.Buffers.Binary;
using System.Runtime.InteropServices;
using LlmBatch.Results;

namespace LlmBatch.Cli.Output;

/// <summary>
/// Writes merged embeddings as Parquet on request (<c>--parquet</c>): columns <c>custom_id</c> (string) and
/// <c>embedding</c> (list of float32), one row per row of the <c>.npy</c> matrix and in the same order. A list column
/// rather than one column per dimension: pandas, polars, pyarrow and DuckDB read it as one array per row, the schema
/// does not change with the model's size, and the file's readers never have to reassemble 384 or 3,072 columns.
/// Kept in the CLI so that the core library does not carry Parquet.Net. The merge writes it during its ordered pass
/// (<see cref="ParquetEmbeddingsSink"/>); this converts an existing <c>.npy</c>, row by row as well.
/// </summary>
internal static class ParquetEmbeddingsFile
{
    /// <summary>Rows per row group at most (a group is also cut at <see cref="ParquetRowGroupWriter{T}.MaxGroupBytes"/>, about 5,400 rows of 384 dimensions).</summary>
    internal const int RowGroupSize = 8192;

    /// <summary>The Parquet file written beside <c>PREFIX.npy</c>.</summary>
    internal static string PathFor(string prefix) => prefix + ".parquet";

    /// <summary>Reads <c>PREFIX.npy</c> and <c>PREFIX.ids.txt</c> (as the merger wrote them) a row at a time and writes <c>PREFIX.parquet</c>.</summary>
    /// <returns>The Parquet file's path.</returns>
    /// <exception cref="InvalidDataException">The ids and the matrix disagree in length.</exception>
    internal static async Task<string> WriteFromNpyAsync(string prefix, CancellationToken cancellationToken)
    {
        var npy = new FileStream(prefix + ".npy", FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        await using (npy.ConfigureAwait(false))
        {
            var (rows, columns) = NpyFile.ReadHeader(npy);
            using var ids = new StreamReader(prefix + ".ids.txt");
            var path = PathFor(prefix);
            var sink = new ParquetEmbeddingsSink(path);
            await using (sink.ConfigureAwait(false))
            {
                for (var i = 0; i < rows; i++)
                {
                    var id = await ids.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                        ?? throw new InvalidDataException($"{prefix}.ids.txt has {i} ids for the {rows} rows of {prefix}.npy.");
                    var vector = new float[columns];
                    npy.ReadExactly(MemoryMarshal.AsBytes(vector.AsSpan()));
                    if (!BitConverter.IsLittleEndian)
                    {
                        for (var k = 0; k < vector.Length; k++)
                        {
                            vector[k] = BinaryPrimitives.ReadSingleLittleEndian(BitConverter.GetBytes(vector[k]));
                        }
                    }

                    await sink.WriteVectorAsync(id, vector, cancellationToken).ConfigureAwait(false);
                }

                await sink.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }

            return path;
        }
    }

    /// <summary>Writes a row-major float32 matrix and its ids.</summary>
    /// <exception cref="ArgumentException">The ids and the matrix disagree in length.</exception>
    internal static async Task WriteAsync(string path, IReadOnlyList<string> ids, float[] data, int rows, int columns, CancellationToken cancellationToken)
    {
        if (ids.Count != rows || (long)rows * columns != data.Length)
        {
            throw new ArgumentException($"{ids.Count} ids for a {rows} x {columns} matrix of {data.Length} values.", nameof(ids));
        }

        var sink = new ParquetEmbeddingsSink(path);
        await using (sink.ConfigureAwait(false))
        {
            for (var i = 0; i < ids.Count; i++)
            {
                await sink.WriteVectorAsync(ids[i], data.AsSpan(i * columns, columns).ToArray(), cancellationToken).ConfigureAwait(false);
            }

            await sink.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
