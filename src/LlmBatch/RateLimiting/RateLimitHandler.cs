using System.Runtime.CompilerServices;
using LlmBatch.Providers;

namespace LlmBatch.RateLimiting;

/// <summary>
/// Middleware that sends each attempt only once the <see cref="ResourceController"/> grants it, and hands every
/// outcome back so the controller can settle the reservation, learn from the headers and pause the run on a 429.
/// It never retries: the retry layer above it decides, and each retry passes through here again.
/// </summary>
internal sealed class RateLimitHandler : DelegatingBatchHandler
{
    private readonly ResourceController _controller;

    /// <summary>Wraps <paramref name="inner"/>; the handler owns the controller and disposes it with the pipeline.</summary>
    public RateLimitHandler(IBatchHandler inner, ResourceController controller)
        : base(inner)
    {
        ArgumentNullException.ThrowIfNull(controller);
        _controller = controller;
    }

    /// <inheritdoc />
    // Pooled builder: the state machine of an attempt that really waits is reused rather than allocated per call.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        var lease = await _controller.AcquireAsync(item, cancellationToken).ConfigureAwait(false);
        BatchResponse response;
        try
        {
            response = await InnerHandler.SendAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _controller.OnFailure(lease);
            throw;
        }

        _controller.OnResponse(lease, response);
        return response;
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ResourceController) ? _controller : base.GetService(serviceType, serviceKey);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Waiters still queued are refused, and the controller's timer stops.
            _controller.Dispose();
        }

        base.Dispose(disposing);
    }
}
