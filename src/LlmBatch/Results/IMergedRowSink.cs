namespace LlmBatch.Results;

/// <summary>
/// An extra output of a merge, fed in input order during the one ordered pass: how the CLI writes Parquet
/// (which the core library does not carry) without a second read of the results or of the <c>.npy</c>.
/// </summary>
internal interface IMergedRowSink : IAsyncDisposable
{
    /// <summary>Every row, in input order (text merges).</summary>
    ValueTask WriteRowAsync(MergeRow row, CancellationToken cancellationToken);

    /// <summary>Every row of the embeddings matrix, with its id, as it goes into the <c>.npy</c>.</summary>
    ValueTask WriteVectorAsync(string id, float[] vector, CancellationToken cancellationToken);

    /// <summary>Puts the output in place; returns its path, or null when there was nothing to write.</summary>
    ValueTask<string?> CompleteAsync(CancellationToken cancellationToken);
}
