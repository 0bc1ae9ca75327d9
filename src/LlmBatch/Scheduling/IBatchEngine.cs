using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch;

/// <summary>
/// Runs a stream of requests through a provider at the fastest pace its limits allow and yields exactly one
/// <see cref="BatchResult"/> per request, in completion order. Build one with <c>BatchEngineBuilder</c>
/// or resolve it from dependency injection. The engine is thread-safe and reusable, like a resilience pipeline: each
/// <see cref="Start"/> is a run of its own, and runs at once share the provider and its limits. Disposing the engine
/// disposes its handler pipeline, the provider included.
/// </summary>
public interface IBatchEngine : IDisposable
{
    /// <summary>
    /// Starts a run of the requests and returns it at once; the run owns its results, progress, stop and summary.
    /// The input is read only as fast as the engine can dispatch and the results are read (back-pressure).
    /// </summary>
    /// <param name="requests">The requests; custom_ids should be unique within the run.</param>
    /// <param name="cancellationToken">Abandons the run: requests in flight yield no result.</param>
    /// <returns>The run; dispose it (or read its results to the end).</returns>
    IBatchRun Start(IAsyncEnumerable<BatchRequest> requests, CancellationToken cancellationToken = default);

    /// <summary>Runs the requests (a run read to the end, see <see cref="Start"/>).</summary>
    /// <param name="requests">The requests; custom_ids should be unique.</param>
    /// <param name="cancellationToken">Stops dispatch; requests in flight are abandoned and yield no result.</param>
    /// <returns>One result per request that reached a final outcome.</returns>
    /// <exception cref="BatchAuthenticationException">The provider refused the credentials before any success.</exception>
    /// <exception cref="BatchEndpointUnreachableException">The endpoint could not be reached before any success.</exception>
    IAsyncEnumerable<BatchResult> RunAsync(IAsyncEnumerable<BatchRequest> requests, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops every run under way gracefully: no further request is read or sent (including those waiting for the rate
    /// budget or a retry), requests already on the wire finish and their results are still yielded, then the
    /// enumeration ends. Items that were not sent yield no result; a rerun sends them. Cancel the token given to
    /// <see cref="RunAsync"/> to abandon the requests on the wire as well.
    /// </summary>
    void StopDispatch();

    /// <summary>A snapshot of the run started last (under way or ended).</summary>
    /// <returns>The snapshot.</returns>
    BatchProgress GetProgress();
}
