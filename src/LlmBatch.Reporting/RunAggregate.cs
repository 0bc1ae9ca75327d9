using LlmBatch.Concurrency;

namespace LlmBatch.Reporting;

/// <summary>Everything a report shows, computed from the results in one pass.</summary>
internal sealed class RunAggregate
{
    public required RunSummary Summary { get; init; }

    public required IReadOnlyList<TimeBucket> Timeline { get; init; }

    /// <summary>The live run's concurrency limit, attempts on the wire and goodput, second by second; empty when rebuilt from a file.</summary>
    public IReadOnlyList<ConcurrencyPoint> ConcurrencyTimeline { get; init; } = [];

    public required IReadOnlyList<ModelUsage> Models { get; init; }

    /// <summary>Each endpoint of a run over several (<c>llmbatch.endpoint</c>); empty for a run over one.</summary>
    public IReadOnlyList<EndpointUsage> Endpoints { get; init; } = [];

    /// <summary>Each worker of a job over several processes (<see cref="RunReportOptions.Workers"/>); empty for a run in one.</summary>
    public IReadOnlyList<RunReportWorker> Workers { get; init; } = [];

    public required IReadOnlyList<ItemRow> Slowest { get; init; }

    public required IReadOnlyList<ItemRow> FailedItems { get; init; }

    /// <summary>Final-attempt latencies, sorted, for the histogram: every item's, or a uniform sample of them.</summary>
    public required double[] Latencies { get; init; }

    /// <summary>How many items each latency in <see cref="Latencies"/> stands for: 1 unless they are a sample.</summary>
    public double LatencyWeight { get; init; } = 1;

    public required string PriceSource { get; init; }

    /// <summary>Total cost of the priced models' answers paid for (not cached or shared); null when no model had a price.</summary>
    public decimal? Cost { get; init; }

    /// <summary>What the answers given without a request (cache, shared) would have cost; null when no model had a price.</summary>
    public decimal? Saved { get; init; }

    /// <summary>The part of <see cref="Cost"/> for items sent online.</summary>
    public decimal? OnlineCost { get; init; }

    /// <summary>The part of <see cref="Cost"/> for items answered through the Batch API.</summary>
    public decimal? BatchApiCost { get; init; }

    /// <summary>What the answers paid for would have cost had they all gone through the Batch API; null when no model had a price.</summary>
    public decimal? BatchEquivalent { get; init; }

    /// <summary>Input files not processed, with why; null for a run over an item file.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? SkippedInputs { get; init; }

    /// <summary>Tokens of models without a price (their cost is unknown).</summary>
    public long UnpricedTokens { get; init; }
}
