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

    public RetryHandler(IBatchHandler inner, BatchOptions options, TimeProvider timeProvider, RetryBackoff backoff)
        : base(inner)
    {
        var maxFailures = options.MaxAttempts;
        var builder = new ResiliencePipelineBuilder<BatchResponse> { TimeProvider = timeProvider };
        builder.AddRetry(new RetryStrategyOptions<BatchResponse>
        {
            // Bounded by the two counts above, through ShouldHandle.
            MaxRetryAttempts = int.MaxValue,
            ShouldHandle = args => new ValueTask<bool>(ShouldRetry(args.Outcome, args.Context, maxFailures)),
            DelayGenerator = args =>
            {
                var item = args.Context.Properties.GetValue(BatchCallContext.Key, null!);
                var retry = item.LastDecision == RetryDecision.Throttled ? item.ConsecutiveThrottles : item.FailedAttempts;
                return new ValueTask<TimeSpan?>(backoff.Next(Math.Max(1, retry), args.Outcome.Result?.Headers.RetryAfter));
            },
        });

        _pipeline = builder.Build();
    }

    public override async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(BatchCallContext.Key, item);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    state.Item.Attempt++;
                    try
                    {
                        var response = await state.Inner.SendAsync(state.Item, ctx.CancellationToken).ConfigureAwait(false);
                        state.Item.RecordAttempt(response.StatusCode);
                        state.Item.RecordDecision(RetryClassifier.Classify(response, state.Item.Request.Endpoint));
                        return Outcome.FromResult(response);
                    }
                    catch (Exception ex)
                    {
                        state.Item.RecordAttempt(0);
                        state.Item.RecordDecision(ex is OperationCanceledException && ctx.CancellationToken.IsCancellationRequested
                            ? RetryDecision.Permanent
                            : RetryClassifier.Classify(ex));
                        return Outcome.FromException<BatchResponse>(ex);
                    }
                },
                context,
                new AttemptState(InnerHandler, item)).ConfigureAwait(false);
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static bool ShouldRetry(Outcome<BatchResponse> outcome, ResilienceContext context, int maxFailures)
    {
        if (context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        var item = context.Properties.GetValue(BatchCallContext.Key, null!);
        return item.LastDecision switch
        {
            RetryDecision.Throttled => true,
            RetryDecision.Retry => item.FailedAttempts < maxFailures,
            _ => false,
        };
    }

    private readonly record struct AttemptState(IBatchHandler Inner, BatchCall Item);
}
