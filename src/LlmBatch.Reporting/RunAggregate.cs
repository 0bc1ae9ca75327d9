namespace LlmBatch.Reporting;

/// <summary>Everything a report shows, computed from the results in one pass.</summary>
internal sealed class RunAggregate
{
    public required RunSummary Summary { get; init; }

    public required IReadOnlyList<TimeBucket> Timeline { get; init; }

    public required IReadOnlyList<ModelUsage> Models { get; init; }

    public required IReadOnlyList<ItemRow> Slowest { get; init; }

    public required IReadOnlyList<ItemRow> FailedItems { get; init; }

    /// <summary>Final-attempt latencies, sorted, for the histogram.</summary>
    public required double[] Latencies { get; init; }

    public required string PriceSource { get; init; }

    /// <summary>Total cost of the priced models; null when no model had a price.</summary>
    public decimal? Cost { get; init; }

    /// <summary>Input files not processed, with why; null for a run over an item file.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? SkippedInputs { get; init; }

    /// <summary>Tokens of models without a price (their cost is unknown).</summary>
    public long UnpricedTokens { get; init; }
}
