using System.Runtime.CompilerServices;
using LlmBatch.Providers;

namespace LlmBatch.RateLimiting;

/// <summary>
/// Middleware that sends each attempt only once the <see cref="ResourceController"/> grants it, and hands every
/// outcome back so the controller can settle the reservation, learn from the headers and pause the run on a 429.
/// It never retries: the retry layer above it decides, and each retry passes through here again.
/// </summary>
internal sealed class RateLimitHandler : IBatchHandler
{
    private readonly IBatchHandler _inner;
    private readonly ResourceController _controller;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    public RateLimitHandler(IBatchHandler inner, ResourceController controller)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(controller);
        _inner = inner;
        _controller = controller;
    }

    /// <inheritdoc />
    // Pooled builder: the state machine of an attempt that really waits is reused rather than allocated per call.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        var lease = await _controller.AcquireAsync(item, cancellationToken).ConfigureAwait(false);
        BatchResponse response;
        try
        {
            response = await _inner.SendAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _controller.OnFailure(lease);
            throw;
        }

        _controller.OnResponse(lease, response);
        return response;
    }
}
