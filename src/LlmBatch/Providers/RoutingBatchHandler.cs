using LlmBatch.Input;

namespace LlmBatch.Providers;

/// <summary>
/// Sends each request to the handler a selector picks for it, or to a fallback when the selector declines. The router
/// owns the fallback (disposed with it); the handlers the selector returns belong to whoever made them.
/// </summary>
internal sealed class RoutingBatchHandler : IBatchHandler
{
    private readonly Func<BatchRequest, IBatchHandler?> _choose;
    private readonly IBatchHandler _fallback;

    /// <summary>Creates the router.</summary>
    /// <param name="choose">Picks a handler for a request; null means the fallback.</param>
    /// <param name="fallback">The handler for requests the selector declines.</param>
    public RoutingBatchHandler(Func<BatchRequest, IBatchHandler?> choose, IBatchHandler fallback)
    {
        ArgumentNullException.ThrowIfNull(choose);
        ArgumentNullException.ThrowIfNull(fallback);
        _choose = choose;
        _fallback = fallback;
    }

    /// <inheritdoc />
    public ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var handler = _choose(item.Request) ?? _fallback;
        return handler.SendAsync(item, cancellationToken);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : _fallback.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    public void Dispose() => _fallback.Dispose();
}
