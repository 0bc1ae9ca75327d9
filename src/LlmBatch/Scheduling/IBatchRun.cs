using LlmBatch.Output;

namespace LlmBatch;

/// <summary>
/// One run of an <see cref="IBatchEngine"/>, started by <see cref="IBatchEngine.Start"/>. It owns what belongs to
/// that run alone: its results, its progress, its stop and its final summary. Several runs may share one engine at
/// once (and so its provider, its limits and its connections); stopping one leaves the others running.
/// </summary>
public interface IBatchRun : IAsyncDisposable
{
    /// <summary>
    /// The results, one per request that reached a final outcome, in completion order. Read them once; the run only
    /// reads its input as fast as they are read (back-pressure). Stopping the enumeration early abandons the run.
    /// </summary>
    /// <exception cref="BatchAuthenticationException">The provider refused the credentials before any success.</exception>
    /// <exception cref="BatchEndpointUnreachableException">The endpoint could not be reached before any success.</exception>
    IAsyncEnumerable<BatchResult> Results { get; }

    /// <summary>
    /// Completes when the run has ended, with its final progress (the run's summary); fails with the error that
    /// stopped the run, or is cancelled when the run was cancelled.
    /// </summary>
    Task<BatchProgress> Completion { get; }

    /// <summary>A snapshot of the run's progress.</summary>
    /// <returns>The snapshot.</returns>
    BatchProgress GetProgress();

    /// <summary>
    /// Stops this run gracefully: no further request of it is read or sent (including those waiting for the rate
    /// budget or a retry), its requests already on the wire finish and their results are still yielded, then
    /// <see cref="Results"/> ends. Other runs on the same engine are not affected.
    /// </summary>
    void StopDispatch();
}
