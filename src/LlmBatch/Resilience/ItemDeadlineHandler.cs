using System.Runtime.CompilerServices;
using LlmBatch.Providers;

namespace LlmBatch.Resilience;

/// <summary>
/// The outer timeout layer: bounds an item's whole life (waiting for reuse, the rate budget and slots, every attempt
/// and every backoff) by <see cref="BatchOptions.ItemDeadline"/>. Everything below sees one token, so a retry never
/// starts past the deadline; an overrun surfaces as <see cref="ItemDeadlineExceededException"/>, never as the caller's
/// cancellation, and the item gets a <c>deadline_exceeded</c> line.
/// </summary>
internal sealed class ItemDeadlineHandler(IBatchHandler inner, TimeSpan deadline, TimeProvider timeProvider) : DelegatingBatchHandler(inner)
{
    // Pooled builder: the state machine of an item that really waits below is reused rather than allocated per item.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        // On the system clock one linked source that cancels itself after the deadline does; another clock (tests)
        // needs a timer source of its own, linked in.
        using var timer = ReferenceEquals(timeProvider, TimeProvider.System) ? null : new CancellationTokenSource(deadline, timeProvider);
        using var linked = timer is null
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)
            : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        if (timer is null)
        {
            linked.CancelAfter(deadline);
        }

        try
        {
            return await InnerHandler.SendAsync(item, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (linked.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ItemDeadlineExceededException(deadline, ex);
        }
    }
}
