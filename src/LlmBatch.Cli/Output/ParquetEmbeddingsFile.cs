using LlmBatch.Output;
using LlmBatch.Results;
using Parquet;
using Parquet.Serialization;

namespace LlmBatch.Cli.Output;

/// <summary>
/// Writes merged embeddings as Parquet on request (<c>--parquet</c>): columns <c>custom_id</c> (string) and
/// <c>embedding</c> (list of float32), one row per row of the <c>.npy</c> matrix and in the same order. A list column
/// rather than one column per dimension: pandas, polars, pyarrow and DuckDB read it as one array per row, the schema
/// does not change with the model's size, and the file's readers never have to reassemble 384 or 3,072 columns.
/// Kept in the CLI so that the core library does not carry Parquet.Net.
/// </summary>
internal static class ParquetEmbeddingsFile
{
    /// <summary>Rows per row group: about 12 MB of 384-dimension vectors, small enough to write without a spike.</summary>
    internal const int RowGroupSize = 8192;

    /// <summary>The Parquet file written beside <c>PREFIX.npy</c>.</summary>
    internal static string PathFor(string prefix) => prefix + ".parquet";

    /// <summary>Reads <c>PREFIX.npy</c> and <c>PREFIX.ids.txt</c> (as the merger wrote them) and writes <c>PREFIX.parquet</c>.</summary>
    /// <returns>The Parquet file's path.</returns>
    internal static async Task<string> WriteFromNpyAsync(string prefix, CancellationToken cancellationToken)
    {
        float[] data;
        int rows, columns;
        var npy = File.OpenRead(prefix + ".npy");
        await using (npy.ConfigureAwait(false))
        {
            (data, rows, columns) = NpyFile.ReadFloat32(npy);
        }

        var ids = await File.ReadAllLinesAsync(prefix + ".ids.txt", cancellationToken).ConfigureAwait(false);
        var path = PathFor(prefix);
        await WriteAsync(path, ids, data, rows, columns, cancellationToken).ConfigureAwait(false);
        return path;
    }

    /// <summary>Writes a row-major float32 matrix and its ids.</summary>
    /// <exception cref="ArgumentException">The ids and the matrix disagree in length.</exception>
    internal static async Task WriteAsync(string path, IReadOnlyList<string> ids, float[] data, int rows, int columns, CancellationToken cancellationToken)
    {
        if (ids.Count != rows || (long)rows * columns != data.Length)
        {
            throw new ArgumentException($"{ids.Count} ids for a {rows} x {columns} matrix of {data.Length} values.", nameof(ids));
        }

        var options = new ParquetOptions { RowGroupSize = RowGroupSize };

        // A unique temp file created exclusively, then renamed: a fixed name such as PREFIX.parquet.tmp could be a planted link.
        var file = AtomicFile.Begin(path, throughLink: false);
        await using (file.ConfigureAwait(false))
        {
            await ParquetSerializer.SerializeAsync(Rows(ids, data, columns), file.Stream, options, cancellationToken: cancellationToken).ConfigureAwait(false);
            await file.CommitAsync().ConfigureAwait(false);
        }
    }

    private static IEnumerable<ParquetEmbeddingRow> Rows(IReadOnlyList<string> ids, float[] data, int columns)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            yield return new ParquetEmbeddingRow { CustomId = ids[i], Embedding = data.AsSpan(i * columns, columns).ToArray() };
        }
    }
}
