namespace LlmBatch.Providers;

/// <summary>
/// The base of every middleware layer: holds the inner handler, passes each call to it unless overridden, and passes
/// <see cref="GetService"/> and <see cref="Dispose()"/> down, in the style of Microsoft.Extensions.AI's
/// <c>DelegatingChatClient</c>. A layer overrides <see cref="SendAsync"/> to act before and after the inner handler.
/// </summary>
public abstract class DelegatingBatchHandler : IBatchHandler
{
    /// <summary>Wraps <paramref name="innerHandler"/>.</summary>
    /// <param name="innerHandler">The next handler towards the provider; this layer owns it and disposes it.</param>
    protected DelegatingBatchHandler(IBatchHandler innerHandler)
    {
        ArgumentNullException.ThrowIfNull(innerHandler);
        InnerHandler = innerHandler;
    }

    /// <summary>The next handler towards the provider.</summary>
    protected IBatchHandler InnerHandler { get; }

    /// <summary>Sends the call through the inner handler; override to act around it.</summary>
    /// <param name="item">The request and its per-item state.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The inner handler's response.</returns>
    public virtual ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken) =>
        InnerHandler.SendAsync(item, cancellationToken);

    /// <summary>Returns this layer when it is of the type asked for (and no key is given), else asks the inner handler.</summary>
    /// <param name="serviceType">The type asked for.</param>
    /// <param name="serviceKey">An optional key to tell apart several objects of one type.</param>
    /// <returns>The object, or null when no layer has one.</returns>
    public virtual object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this)
            ? this
            : InnerHandler.GetService(serviceType, serviceKey);
    }

    /// <summary>Disposes this layer and the inner handler.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the layer holds; the base disposes the inner handler.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            InnerHandler.Dispose();
        }
    }
}
