namespace LlmBatch.Providers;

/// <summary>
/// Sends one attempt of a request and returns the provider's answer. Providers implement it at the bottom of the
/// pipeline; middleware (rate limiting, retries, timeouts, telemetry) wraps it by deriving from
/// <see cref="DelegatingBatchHandler"/>, as <c>DelegatingChatClient</c> wraps an <c>IChatClient</c>.
/// </summary>
/// <remarks>
/// Disposing a pipeline disposes every handler in it, the provider included: the engine that built the pipeline owns
/// it, as a <c>ChatClientBuilder</c> pipeline owns its inner client.
/// </remarks>
public interface IBatchHandler : IDisposable
{
    /// <summary>Sends the call's request.</summary>
    /// <param name="item">The request and its per-item state.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>
    /// The response, whatever its status. Transport failures (connection refused or reset, a body cut short)
    /// surface as exceptions such as <see cref="HttpRequestException"/> or <see cref="IOException"/>.
    /// </returns>
    ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken);

    /// <summary>
    /// Asks the pipeline for an object of the given type: a layer returns itself or something it holds, and a
    /// delegating layer passes the question down (as <c>IChatClient.GetService</c> does).
    /// </summary>
    /// <param name="serviceType">The type asked for.</param>
    /// <param name="serviceKey">An optional key to tell apart several objects of one type.</param>
    /// <returns>The object, or null when no layer has one. By default: this handler when it is of the type and no key is given.</returns>
    object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>
    /// Releases what the handler holds. By default nothing: a provider that holds connections implements it (as the
    /// built-in HTTP provider does), and one written before handlers were disposable still compiles.
    /// </summary>
    void IDisposable.Dispose() => GC.SuppressFinalize(this);
}
