namespace LlmBatch.Cost;

/// <summary>The estimate for one model: its tokens and what they cost online and through the Batch API.</summary>
public sealed record ModelEstimate
{
    /// <summary>The model named in the request bodies.</summary>
    public required string Model { get; init; }

    /// <summary>Requests that would be sent.</summary>
    public long Requests { get; init; }

    /// <summary>Their prompt tokens, counted with the tokenizer (as the rate limiter and the simulator count them).</summary>
    public long PromptTokens { get; init; }

    /// <summary>Their completion budget: each body's output limit, else the default; embeddings none. An upper bound.</summary>
    public long CompletionBudget { get; init; }

    /// <summary>The completion expected: the budget times <see cref="CompletionRatio"/>.</summary>
    public long ExpectedCompletion { get; init; }

    /// <summary>The share of the budget expected to be used.</summary>
    public double CompletionRatio { get; init; }

    /// <summary>How many answers of an earlier run the ratio was observed on; 0 when it is the default.</summary>
    public long RatioObservedOn { get; init; }

    /// <summary>The price used, or null when the model has none (its cost is unknown).</summary>
    public ModelPrice? Price { get; init; }

    /// <summary>Prompt plus expected completion, online; null without a price.</summary>
    public decimal? OnlineCost => Price?.Cost(PromptTokens, ExpectedCompletion);

    /// <summary>Prompt plus the whole completion budget, online: what a <c>--max-cost</c> run reserves; null without a price.</summary>
    public decimal? OnlineMaxCost => Price?.Cost(PromptTokens, CompletionBudget);

    /// <summary>Prompt plus expected completion through the Batch API; null without a price.</summary>
    public decimal? BatchCost => Price?.BatchCost(PromptTokens, ExpectedCompletion);
}
