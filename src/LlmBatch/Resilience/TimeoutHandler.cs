using System.Runtime.CompilerServices;
using LlmBatch.Providers;

namespace LlmBatch.Resilience;

/// <summary>
/// Middleware that bounds each attempt by the <see cref="AdaptiveTimeout"/> and feeds it the latencies of successes.
/// An overrun surfaces as <see cref="AttemptTimeoutException"/> (retryable), never as the caller's cancellation.
/// </summary>
internal sealed class TimeoutHandler(IBatchHandler inner, AdaptiveTimeout timeouts, TimeProvider timeProvider) : DelegatingBatchHandler(inner)
{
    // Pooled builder: the state machine of an attempt that really waits below is reused rather than allocated per call.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        var latencyClass = LatencyClass.Of(item.Request);
        using var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tracked = timeouts.Track(latencyClass, source);
        var started = timeProvider.GetTimestamp();
        try
        {
            var response = await InnerHandler.SendAsync(item, source.Token).ConfigureAwait(false);
            var elapsed = timeProvider.GetElapsedTime(started);
            item.LastAttemptDuration = elapsed;
            if (response.StatusCode is >= 200 and < 300)
            {
                timeouts.Observe(latencyClass, elapsed);
            }

            return response;
        }
        catch (Exception ex) when (tracked.Expired && !cancellationToken.IsCancellationRequested)
        {
            item.LastAttemptDuration = timeProvider.GetElapsedTime(started);
            throw new AttemptTimeoutException(tracked.Limit, ex);
        }
        catch
        {
            item.LastAttemptDuration = timeProvider.GetElapsedTime(started);
            throw;
        }
        finally
        {
            timeouts.Untrack(tracked);
        }
    }
}
