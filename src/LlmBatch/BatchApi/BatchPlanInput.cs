namespace LlmBatch.BatchApi;

/// <summary>What the planner weighs.</summary>
internal sealed record BatchPlanInput
{
    /// <summary>The work left, per model.</summary>
    public required IReadOnlyList<BatchModelLoad> Load { get; init; }

    /// <summary>The online limits (known from flags or learned from a probe).</summary>
    public required OnlineLimits Limits { get; init; }

    /// <summary>When everything must be done, from now; null for none (the batch window then is the deadline).</summary>
    public TimeSpan? Deadline { get; init; }

    /// <summary>The provider's batch completion window: the turnaround the Batch API promises (default 24 h).</summary>
    public TimeSpan CompletionWindow { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Prices tokens: (model, prompt tokens, completion tokens, through the Batch API) → US dollars, or null when the
    /// model has no price. Null (default) leaves the costs unknown.
    /// </summary>
    public Func<string, long, long, bool, decimal?>? Cost { get; init; }

    /// <summary>Forces a choice instead of planning one (what <c>--mode online</c> and <c>--mode batch</c> do); null plans.</summary>
    public BatchPlanChoice? Forced { get; init; }
}
