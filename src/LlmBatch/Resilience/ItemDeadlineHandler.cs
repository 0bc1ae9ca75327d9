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
    public override async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(deadline, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            return await InnerHandler.SendAsync(item, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ItemDeadlineExceededException(deadline, ex);
        }
    }
}
