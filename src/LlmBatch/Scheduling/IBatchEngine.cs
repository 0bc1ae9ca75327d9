using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch;

/// <summary>
/// Runs a stream of requests through a provider at the fastest pace its limits allow and yields exactly one
/// <see cref="BatchResult"/> per request, in completion order. Build one with <c>BatchEngineBuilder</c>
/// or resolve it from dependency injection. Disposing the engine disposes its handler pipeline, the provider included.
/// </summary>
public interface IBatchEngine : IDisposable
{
    /// <summary>Runs the requests. The input is read only as fast as the engine can dispatch (back-pressure).</summary>
    /// <param name="requests">The requests; custom_ids should be unique.</param>
    /// <param name="cancellationToken">Stops dispatch; requests in flight are abandoned and yield no result.</param>
    /// <returns>One result per request that reached a final outcome.</returns>
    /// <exception cref="InvalidOperationException">The engine is already running a batch (one run at a time per engine).</exception>
    /// <exception cref="BatchAuthenticationException">The provider refused the credentials before any success.</exception>
    /// <exception cref="BatchEndpointUnreachableException">The endpoint could not be reached before any success.</exception>
    IAsyncEnumerable<BatchResult> RunAsync(IAsyncEnumerable<BatchRequest> requests, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops the run under way gracefully: no further request is read or sent (including those waiting for the rate
    /// budget or a retry), requests already on the wire finish and their results are still yielded, then the
    /// enumeration ends. Items that were not sent yield no result; a rerun sends them. Cancel the token given to
    /// <see cref="RunAsync"/> to abandon the requests on the wire as well.
    /// </summary>
    void StopDispatch();

    /// <summary>A snapshot of the run under way (or the last one).</summary>
    /// <returns>The snapshot.</returns>
    BatchProgress GetProgress();
}
