namespace LlmBatch.Providers;

/// <summary>
/// Sends one attempt of a request and returns the provider's answer. Providers implement it at the bottom of the
/// pipeline; middleware (rate limiting, retries, timeouts, telemetry) wraps it, as <c>ChatClientBuilder.Use</c> does.
/// </summary>
public interface IBatchHandler
{
    /// <summary>Sends the call's request.</summary>
    /// <param name="item">The request and its per-item state.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>
    /// The response, whatever its status. Transport failures (connection refused or reset, a body cut short)
    /// surface as exceptions such as <see cref="HttpRequestException"/> or <see cref="IOException"/>.
    /// </returns>
    ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken);
}
