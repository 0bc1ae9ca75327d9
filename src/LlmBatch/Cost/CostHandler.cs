using System.Runtime.CompilerServices;
using LlmBatch.Input;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch.Cost;

/// <summary>
/// Middleware between the retry and rate-limit layers that meters every attempt: with a cap it reserves the attempt's
/// worst-case cost before the attempt waits for the rate budget (so attempts waiting there count against the cap) and
/// settles it at the reported usage; without one it only adds up the reported usage. An answer that reports no usage
/// is settled at its worst case under a cap (the budget must hold) and counted as unpriced otherwise. An attempt that
/// got no answer, or an error status, costs nothing.
/// </summary>
internal sealed class CostHandler : DelegatingBatchHandler
{
    private readonly CostLedger _ledger;
    private readonly TokenCounter _tokens;
    private readonly int _defaultMaxOutputTokens;

    public CostHandler(IBatchHandler inner, CostLedger ledger, TokenCounter tokens, int defaultMaxOutputTokens)
        : base(inner)
    {
        _ledger = ledger;
        _tokens = tokens;
        _defaultMaxOutputTokens = defaultMaxOutputTokens;
    }

    // Pooled builder: the state machine of an attempt that really waits below is reused rather than allocated per call.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        var request = item.Request;
        var price = _ledger.PriceOf(request.Model);
        if (_ledger.MaxCost is null)
        {
            var answer = await InnerHandler.SendAsync(item, cancellationToken).ConfigureAwait(false);
            Settle(price, answer, reserved: 0, worstCase: null);
            return answer;
        }

        if (price is null)
        {
            _ledger.StopForUnpriced(request.Model);
            throw new DispatchStoppedException();
        }

        var worst = WorstCase(item, price);
        await _ledger.ReserveAsync(worst, cancellationToken).ConfigureAwait(false);
        BatchResponse response;
        try
        {
            response = await InnerHandler.SendAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _ledger.Settle(worst, 0);
            throw;
        }

        Settle(price, response, worst, worst);
        return response;
    }

    /// <summary>The most this attempt can cost: its prompt counted with the tokenizer, and its whole output limit.</summary>
    private decimal WorstCase(BatchCall item, ModelPrice price)
    {
        var request = item.Request;
        if (item.EstimatedPromptTokens < 0)
        {
            // Counted once per item and kept on the call, where the rate limiter reads it too.
            item.EstimatedPromptTokens = _tokens.CountPromptTokens(request);
        }

        var output = request.Endpoint == BatchEndpointKind.Embeddings ? 0 : request.MaxOutputTokens ?? _defaultMaxOutputTokens;
        return price.Cost(item.EstimatedPromptTokens, output);
    }

    private void Settle(ModelPrice? price, BatchResponse response, decimal reserved, decimal? worstCase)
    {
        decimal actual = 0;
        if (response.StatusCode is >= 200 and < 300)
        {
            if (price is not null && response.Facts is { UsageReported: true } usage)
            {
                actual = price.Cost(usage.PromptTokens, usage.CompletionTokens, usage.CachedPromptTokens);
            }
            else if (worstCase is { } worst)
            {
                actual = worst;
            }
            else
            {
                _ledger.Unpriced();
            }
        }

        if (reserved != 0 || actual != 0)
        {
            _ledger.Settle(reserved, actual);
        }
    }
}
