using LlmBatch.Providers;

namespace LlmBatch.Endpoints;

/// <summary>
/// The provider at the bottom of the pipeline when the engine has several endpoints: sends each attempt to the
/// endpoint <see cref="EndpointRouterHandler"/> chose for it. It owns the endpoints' providers and disposes them.
/// </summary>
internal sealed class EndpointDispatchHandler(EndpointPool pool) : IBatchHandler
{
    public ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var slot = item.Target ?? throw new InvalidOperationException("An attempt reached the endpoints without the router having chosen one; the router must sit above the dispatcher.");
        return slot.SendAsync(item, cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType.IsInstanceOfType(this))
        {
            return this;
        }

        foreach (var slot in pool.Slots)
        {
            if (slot.Endpoint.Provider.GetService(serviceType, serviceKey) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    public void Dispose()
    {
        foreach (var slot in pool.Slots)
        {
            slot.Endpoint.Provider.Dispose();
        }
    }
}
