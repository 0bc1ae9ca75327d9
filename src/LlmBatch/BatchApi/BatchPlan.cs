namespace LlmBatch.BatchApi;

/// <summary>The planner's estimate and choice for a job, printed before anything is sent.</summary>
public sealed record BatchPlan
{
    /// <summary>How the job is sent.</summary>
    public required BatchPlanChoice Choice { get; init; }

    /// <summary>Requests left to do.</summary>
    public required long Requests { get; init; }

    /// <summary>Requests sent online (the first ones left, in input order).</summary>
    public required long OnlineRequests { get; init; }

    /// <summary>Requests sent through the Batch API.</summary>
    public long BatchRequests => Requests - OnlineRequests;

    /// <summary>The deadline weighed: the one given, or the completion window.</summary>
    public required TimeSpan Deadline { get; init; }

    /// <summary>True when a deadline was given.</summary>
    public bool DeadlineGiven { get; init; }

    /// <summary>The batch turnaround assumed: the completion window.</summary>
    public required TimeSpan BatchTurnaround { get; init; }

    /// <summary>The online time of the whole job at <see cref="Limits"/>.</summary>
    public required TimeSpan OnlineTimeAll { get; init; }

    /// <summary>The online time of <see cref="OnlineRequests"/>.</summary>
    public required TimeSpan OnlineTime { get; init; }

    /// <summary>The limits the online times assume.</summary>
    public required OnlineLimits Limits { get; init; }

    /// <summary>Prompt tokens left.</summary>
    public long PromptTokens { get; init; }

    /// <summary>Completion tokens the requests may use (an upper bound: each <c>max_tokens</c> or the default).</summary>
    public long CompletionTokens { get; init; }

    /// <summary>The cost of the whole job online (USD), or null when a model has no price.</summary>
    public decimal? OnlineCostAll { get; init; }

    /// <summary>The cost of the whole job through the Batch API (USD), or null when a model has no price.</summary>
    public decimal? BatchCostAll { get; init; }

    /// <summary>The cost of the plan: the online share at online prices, the rest at batch prices.</summary>
    public decimal? PlannedCost { get; init; }

    /// <summary>Why this choice, in a sentence.</summary>
    public required string Reason { get; init; }
}
