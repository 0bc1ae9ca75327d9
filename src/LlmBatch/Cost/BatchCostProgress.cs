namespace LlmBatch.Cost;

/// <summary>What a run has spent so far, at the prices of its <see cref="CostControlOptions"/>.</summary>
public sealed record BatchCostProgress
{
    /// <summary>US dollars settled: the reported usage of every answer this run paid for, at its model's price.</summary>
    public decimal Spent { get; init; }

    /// <summary>US dollars reserved by attempts in flight or waiting for the rate budget (their worst case); 0 without a cap.</summary>
    public decimal Reserved { get; init; }

    /// <summary>The cap, or null when there is none.</summary>
    public decimal? MaxCost { get; init; }

    /// <summary>True once dispatch stopped because the next request would have passed the cap.</summary>
    public bool CapReached { get; init; }

    /// <summary>The model that stopped the run because it has no price (a cap needs every price), or null.</summary>
    public string? UnpricedModel { get; init; }

    /// <summary>Answers paid for whose cost is unknown: a model without a price, or no usage reported. Not in <see cref="Spent"/>.</summary>
    public long UnpricedAnswers { get; init; }

    /// <summary>The largest worst-case cost one attempt reserved: how far under the cap a stopped run may end.</summary>
    public decimal LargestReservation { get; init; }
}
