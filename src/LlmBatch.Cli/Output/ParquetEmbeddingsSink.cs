using LlmBatch.Results;

namespace LlmBatch.Cli.Output;

/// <summary>
/// Writes merged embeddings as <c>PREFIX.parquet</c> during the merge's ordered pass, row for row with the
/// <c>.npy</c>, one row group at a time (see <see cref="ParquetEmbeddingsFile"/> for the schema).
/// </summary>
internal sealed class ParquetEmbeddingsSink(string path, int rowGroupSize = ParquetEmbeddingsFile.RowGroupSize) : IMergedRowSink
{
    private readonly ParquetRowGroupWriter<ParquetEmbeddingRow> _writer = new(path, rowGroupSize);

    internal int RowGroups => _writer.RowGroups;

    public ValueTask WriteRowAsync(MergeRow row, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public async ValueTask WriteVectorAsync(string id, float[] vector, CancellationToken cancellationToken) =>
        await _writer.AddAsync(new ParquetEmbeddingRow { CustomId = id, Embedding = vector }, 64 + (2L * id.Length) + (4L * vector.Length), cancellationToken).ConfigureAwait(false);

    /// <summary>Puts the file in place; nothing (null) when no vector came.</summary>
    public async ValueTask<string?> CompleteAsync(CancellationToken cancellationToken)
    {
        if (_writer.Count == 0)
        {
            return null;
        }

        await _writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        return _writer.Path;
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
