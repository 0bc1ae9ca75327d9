namespace LlmBatch.BatchApi;

/// <summary>What the planner assumes the online endpoint allows.</summary>
public sealed record OnlineLimits
{
    /// <summary>Requests per minute, or null when unknown or unlimited.</summary>
    public double? RequestsPerMinute { get; init; }

    /// <summary>Tokens per minute (prompt plus <c>max_tokens</c>, as the engine budgets them), or null when unknown or unlimited.</summary>
    public double? TokensPerMinute { get; init; }

    /// <summary>The time one request takes (default 1 s): added once, and with no limit known, the pace at <see cref="MaxConcurrency"/> in flight.</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests in flight at most (default 256, the engine's default).</summary>
    public int MaxConcurrency { get; init; } = 256;

    /// <summary>Where the figures came from, for the printed plan, for example <c>--rpm/--tpm</c>.</summary>
    public string Source { get; init; } = "";
}
