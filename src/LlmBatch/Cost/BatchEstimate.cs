namespace LlmBatch.Cost;

/// <summary>What a file would cost, per model and in total, before anything is sent (<see cref="BatchEstimator"/>).</summary>
public sealed record BatchEstimate
{
    /// <summary>Requests in the file.</summary>
    public long Requests { get; init; }

    /// <summary>Requests the earlier output already answers (skipped by a resumed run).</summary>
    public long AlreadyDone { get; init; }

    /// <summary>Requests identical to an earlier one of the file, which share its answer.</summary>
    public long Repeats { get; init; }

    /// <summary>Requests the response cache answers.</summary>
    public long CacheHits { get; init; }

    /// <summary>Requests that would be sent and paid for.</summary>
    public long ToSend { get; init; }

    /// <summary>Per model, most prompt tokens first.</summary>
    public required IReadOnlyList<ModelEstimate> Models { get; init; }

    /// <summary>Where the prices came from.</summary>
    public required string PriceSource { get; init; }

    /// <summary>The models with no price: their cost is unknown and not in the totals.</summary>
    public IEnumerable<string> UnpricedModels => Models.Where(m => m.Price is null).Select(m => m.Model);

    /// <summary>Prompt tokens of the requests to send.</summary>
    public long PromptTokens => Models.Sum(m => m.PromptTokens);

    /// <summary>Their completion budget.</summary>
    public long CompletionBudget => Models.Sum(m => m.CompletionBudget);

    /// <summary>Their expected completion.</summary>
    public long ExpectedCompletion => Models.Sum(m => m.ExpectedCompletion);

    /// <summary>Expected online cost of the priced models; null when none is priced.</summary>
    public decimal? OnlineCost => Total(m => m.OnlineCost);

    /// <summary>Online cost with every completion budget used, of the priced models.</summary>
    public decimal? OnlineMaxCost => Total(m => m.OnlineMaxCost);

    /// <summary>Expected Batch API cost of the priced models.</summary>
    public decimal? BatchCost => Total(m => m.BatchCost);

    private decimal? Total(Func<ModelEstimate, decimal?> cost)
    {
        // Nothing to send costs nothing; otherwise only priced models add up, and none priced means unknown.
        decimal? sum = Models.Count == 0 ? 0m : null;
        foreach (var m in Models)
        {
            if (cost(m) is { } c)
            {
                sum = (sum ?? 0) + c;
            }
        }

        return sum;
    }
}
