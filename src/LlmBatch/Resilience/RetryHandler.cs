using Polly;
using Polly.Retry;

namespace LlmBatch;

/// <summary>
/// The one retry layer (the SDKs' own retries stay off). Built on Polly's retry strategy: outcomes are classified by
/// <see cref="RetryClassifier"/>, delays come from <see cref="RetryBackoff"/> (the server's wait first, else full jitter).
/// Each retry goes back through every layer below it, so it waits for the rate budget like a first attempt.
/// </summary>
internal sealed class RetryHandler : IBatchHandler
{
    private static readonly ResiliencePropertyKey<BatchCall> s_callKey = new("llmbatch.call");

    private readonly IBatchHandler _inner;
    private readonly ResiliencePipeline<BatchResponse> _pipeline;

    public RetryHandler(IBatchHandler inner, BatchOptions options, TimeProvider timeProvider, RetryBackoff backoff)
    {
        _inner = inner;
        var builder = new ResiliencePipelineBuilder<BatchResponse> { TimeProvider = timeProvider };
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<BatchResponse>
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                ShouldHandle = static args => new ValueTask<bool>(ShouldRetry(args.Outcome, args.Context)),
                DelayGenerator = args => new ValueTask<TimeSpan?>(backoff.Next(args.AttemptNumber + 1, args.Outcome.Result?.Headers.RetryAfter)),
            });
        }

        _pipeline = builder.Build();
    }

    public async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(s_callKey, item);
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
                        return Outcome.FromResult(response);
                    }
                    catch (Exception ex)
                    {
                        state.Item.RecordAttempt(0);
                        return Outcome.FromException<BatchResponse>(ex);
                    }
                },
                context,
                new AttemptState(_inner, item)).ConfigureAwait(false);
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static bool ShouldRetry(Outcome<BatchResponse> outcome, ResilienceContext context)
    {
        if (outcome.Exception is { } exception)
        {
            if (exception is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
            {
                return false;
            }

            return RetryClassifier.Classify(exception) == RetryDecision.Retry;
        }

        var endpoint = context.Properties.TryGetValue(s_callKey, out var item) ? item.Request.Endpoint : BatchEndpointKind.ChatCompletions;
        return outcome.Result is { } response && RetryClassifier.Classify(response, endpoint) == RetryDecision.Retry;
    }

    private readonly record struct AttemptState(IBatchHandler Inner, BatchCall Item);
}
