namespace LlmBatch.Caching;

/// <summary>
/// A response cache across runs, keyed by <see cref="RequestKey"/>. Only successful answers are stored. Implementations
/// must be safe for concurrent use; <c>LlmBatch.Sqlite</c> provides one in a SQLite file shared by processes on a machine.
/// </summary>
public interface IBatchResponseCache
{
    /// <summary>Looks an answer up.</summary>
    /// <param name="key">The request's key.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The answer, or null when the cache holds none for the key.</returns>
    ValueTask<CachedAnswer?> TryGetAsync(RequestKey key, CancellationToken cancellationToken);

    /// <summary>Stores an answer. The write may be deferred and batched; a crash may lose the last moment's writes, never the run's output.</summary>
    /// <param name="key">The request's key.</param>
    /// <param name="answer">The successful answer.</param>
    /// <param name="cancellationToken">Cancels waiting for room in the write queue.</param>
    /// <returns>A task that completes once the answer is queued or written.</returns>
    ValueTask StoreAsync(RequestKey key, CachedAnswer answer, CancellationToken cancellationToken);
}
