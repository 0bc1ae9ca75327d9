using System.Runtime.CompilerServices;
using LlmBatch.Providers;
using Polly;
using Polly.Retry;

namespace LlmBatch.Resilience;

/// <summary>
/// The one retry layer (the SDKs' own retries stay off). Built on Polly's retry strategy: outcomes are classified by
/// <see cref="RetryClassifier"/>, delays come from <see cref="RetryBackoff"/> (the server's wait first, else full jitter).
/// Each retry goes back through every layer below it, so it waits for the rate budget and a concurrency slot like a
/// first attempt.
/// </summary>
/// <remarks>
/// Two counts bound an item. Genuine failures (a 500, a reset, a timeout, a broken body) count against
/// <see cref="BatchOptions.MaxAttempts"/>. Rate-limit and overload answers do not: the limit must never cost an item
/// (860 of 3,000 items were lost to six 429s each within 200 ms against a server enforcing one-second windows), so
/// such an item is sent again for as long as its deadline and the run's stall watchdog allow. Their backoff grows
/// with the item's consecutive throttles, so a server that refuses everything is asked less and less often.
/// </remarks>
internal sealed class RetryHandler : DelegatingBatchHandler
{
    private readonly ResiliencePipeline<BatchResponse> _pipeline;
    private readonly int _maxFailures;

    public RetryHandler(IBatchHandler inner, BatchOptions options, TimeProvider timeProvider, RetryBackoff backoff)
        : base(inner)
    {
        var maxFailures = options.MaxAttempts;
        _maxFailures = maxFailures;
        var builder = new ResiliencePipelineBuilder<BatchResponse> { TimeProvider = timeProvider };
        builder.AddRetry(new RetryStrategyOptions<BatchResponse>
        {
            // Bounded by the two counts above, through ShouldHandle.
            MaxRetryAttempts = int.MaxValue,
            ShouldHandle = args => new ValueTask<bool>(ShouldRetry(args.Context.Properties.GetValue(BatchCallContext.Key, null!), maxFailures, args.Context.CancellationToken)),
            DelayGenerator = args =>
            {
                var item = args.Context.Properties.GetValue(BatchCallContext.Key, null!);
                var retry = item.LastDecision == RetryDecision.Throttled ? item.ConsecutiveThrottles : item.FailedAttempts;
                return new ValueTask<TimeSpan?>(backoff.Next(Math.Max(1, retry), args.Outcome.Result?.Headers.RetryAfter));
            },
        });

        _pipeline = builder.Build();
    }

    // Pooled builder: the state machine of an attempt that really waits below is reused rather than allocated per call.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        // The first attempt is sent here, outside Polly: almost every item ends with it, and the pipeline's context,
        // its state machines and its callback would cost every item for the few that are retried.
        // Inline rather than through AttemptAsync: its state machine would be one more allocation per item.
        Outcome<BatchResponse> first;
        item.Attempt++;
        try
        {
            first = Answered(item, await InnerHandler.SendAsync(item, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            first = Failed(item, ex, cancellationToken);
        }

        if (!ShouldRetry(item, _maxFailures, cancellationToken))
        {
            first.ThrowIfException();
            return first.Result!;
        }

        return await RetryAsync(item, first, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The retries, through Polly's retry strategy: its first call hands back the first attempt's outcome, so the
    /// strategy classifies it and waits the backoff as if it had sent it, and every later call sends again.
    /// </summary>
    private async ValueTask<BatchResponse> RetryAsync(BatchCall item, Outcome<BatchResponse> first, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(BatchCallContext.Key, item);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static (ctx, state) => state.TakeFirst() is { } handed
                    ? ValueTask.FromResult(handed)
                    : AttemptAsync(state.Inner, state.Item, ctx.CancellationToken),
                context,
                new RetryState(InnerHandler, item, first)).ConfigureAwait(false);
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>One attempt through the layers below, classified; its failure is an outcome, not a throw.</summary>
    private static async ValueTask<Outcome<BatchResponse>> AttemptAsync(IBatchHandler inner, BatchCall item, CancellationToken cancellationToken)
    {
        item.Attempt++;
        try
        {
            return Answered(item, await inner.SendAsync(item, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            return Failed(item, ex, cancellationToken);
        }
    }

    private static Outcome<BatchResponse> Answered(BatchCall item, BatchResponse response)
    {
        item.RecordAttempt(response.StatusCode);
        item.RecordDecision(RetryClassifier.Classify(response, item.Request.Endpoint));
        return Outcome.FromResult(response);
    }

    private static Outcome<BatchResponse> Failed(BatchCall item, Exception ex, CancellationToken cancellationToken)
    {
        item.RecordAttempt(0);
        item.RecordDecision(ex is OperationCanceledException && cancellationToken.IsCancellationRequested
            ? RetryDecision.Permanent
            : RetryClassifier.Classify(ex));
        return Outcome.FromException<BatchResponse>(ex);
    }

    private static bool ShouldRetry(BatchCall item, int maxFailures, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return false;
        }

        return item.LastDecision switch
        {
            RetryDecision.Throttled => true,
            RetryDecision.Retry => item.FailedAttempts < maxFailures,
            _ => false,
        };
    }

    /// <summary>What the retry callback needs; the first attempt's outcome is handed back once.</summary>
    private sealed class RetryState(IBatchHandler inner, BatchCall item, Outcome<BatchResponse> first)
    {
        private Outcome<BatchResponse>? _first = first;

        public IBatchHandler Inner { get; } = inner;

        public BatchCall Item { get; } = item;

        public Outcome<BatchResponse>? TakeFirst()
        {
            var first = _first;
            _first = null;
            return first;
        }
    }
}
