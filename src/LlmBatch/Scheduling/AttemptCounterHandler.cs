using System.Runtime.CompilerServices;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch;

/// <summary>
/// Middleware just above the provider that counts attempts on the wire, for progress and the in-flight gauge, and
/// tells the stall watchdog whether each answer moved the run on or was a throttle.
/// </summary>
internal sealed class AttemptCounterHandler(IBatchHandler inner, RunCounters counters, TimeProvider timeProvider) : DelegatingBatchHandler(inner)
{
    // Pooled builder: the state machine of an attempt that really waits below is reused rather than allocated per call.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        // The call's run keeps its own counts, so two runs on one engine report apart.
        var counts = item.Run?.Counters ?? counters;
        counts.AttemptStarted(item.Attempt);
        var status = 0;
        var throttled = false;
        try
        {
            var response = await InnerHandler.SendAsync(item, cancellationToken).ConfigureAwait(false);
            status = response.StatusCode;
            throttled = status is 429 or 503 or 529 && ThrottleClassifier.IsThrottle(response);
            return response;
        }
        finally
        {
            counts.AttemptEnded(status, throttled, timeProvider.GetTimestamp());
        }
    }
}
