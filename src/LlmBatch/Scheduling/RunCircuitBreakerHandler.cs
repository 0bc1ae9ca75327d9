using System.Runtime.CompilerServices;
using LlmBatch.Output;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using LlmBatch.Resilience;

namespace LlmBatch;

/// <summary>
/// The run-level circuit breaker, outermost in the pipeline. Some answers say the run, not the item, is failing:
/// a refused key before any success (<see cref="BatchOptions.StopOnAuthenticationFailure"/>), an exhausted quota, an
/// endpoint that was never reachable (<see cref="BatchOptions.StopWhenUnreachable"/>). The first such answer opens the
/// circuit: that call and every later one (sent or not) fails with <see cref="RunCircuitOpenException"/>, so no line
/// is written for them and a rerun sends them all. The circuit and the success count are the call's run's
/// (<see cref="BatchRunState"/>), so one run's bad answers never stop another run on the same engine; a call with no
/// run uses the handler's own.
/// </summary>
internal sealed class RunCircuitBreakerHandler(IBatchHandler inner, BatchOptions options, RunCounters counters) : DelegatingBatchHandler(inner)
{
    private Exception? _open;

    /// <summary>Why the circuit of calls without a run is open, or null while it is closed.</summary>
    public Exception? OpenReason => Volatile.Read(ref _open);

    /// <summary>Closes the circuit of calls without a run.</summary>
    public void Reset() => Volatile.Write(ref _open, null);

    // Pooled builder: the state machine of an attempt that really waits below is reused rather than allocated per call.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        var run = item.Run;
        ThrowIfOpen(run);
        BatchResponse response;
        try
        {
            response = await InnerHandler.SendAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (options.StopWhenUnreachable && NoSuccessYet(run) && RetryClassifier.IsUnreachable(ex))
        {
            // Nothing has ever got through: this is the endpoint, not the item.
            throw Open(run, new BatchEndpointUnreachableException(ex));
        }

        if (response.StatusCode is 401 or 403 && options.StopOnAuthenticationFailure && NoSuccessYet(run))
        {
            // A bad key fails every item the same way.
            throw Open(run, new BatchAuthenticationException(response.StatusCode, ErrorMessageReader.Read(response.Body.Span, response.StatusCode)));
        }

        if (response.StatusCode == 429 && ThrottleClassifier.Classify(response, out _) == ThrottleKind.QuotaExhausted)
        {
            // An empty account fails every later item the same way, successes before it or not.
            throw Open(run, new BatchQuotaExhaustedException(ErrorMessageReader.Read(response.Body.Span, response.StatusCode)));
        }

        return response;
    }

    private bool NoSuccessYet(BatchRunState? run) => (run?.Counters ?? counters).Succeeded == 0;

    private void ThrowIfOpen(BatchRunState? run)
    {
        if ((run is null ? OpenReason : run.CircuitOpenReason) is { } reason)
        {
            throw new RunCircuitOpenException(reason);
        }
    }

    // The first reason wins: later calls fail with it too.
    private RunCircuitOpenException Open(BatchRunState? run, Exception reason) =>
        new(run is null ? Interlocked.CompareExchange(ref _open, reason, null) ?? reason : run.OpenCircuit(reason));
}
