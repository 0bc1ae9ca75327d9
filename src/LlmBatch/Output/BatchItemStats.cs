namespace LlmBatch;

/// <summary>
/// LlmBatch's own facts about one item, written under the <c>llmbatch</c> key of its output line
/// so that tools reading Batch API output are unaffected.
/// </summary>
public sealed class BatchItemStats
{
    /// <summary>Attempts made, including the last; 0 when the item was never sent.</summary>
    public int Attempts { get; init; }

    /// <summary>The HTTP status of each attempt in order (0 for an attempt that got no response).</summary>
    public IReadOnlyList<int> Statuses { get; init; } = [];

    /// <summary>When the first attempt was dispatched.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When the item reached its final outcome.</summary>
    public DateTimeOffset FinishedAt { get; init; }

    /// <summary>Duration of the last attempt, from send to full response, in milliseconds.</summary>
    public double LatencyMs { get; init; }

    /// <summary>Total time spent waiting for the rate limiter across all attempts, in milliseconds.</summary>
    public double LimiterWaitMs { get; init; }

    /// <summary>Prompt tokens: from the response's <c>usage</c> when reported, else the local estimate.</summary>
    public int PromptTokens { get; init; }

    /// <summary>Completion tokens reported by the response's <c>usage</c>; 0 when unknown.</summary>
    public int CompletionTokens { get; init; }

    /// <summary>True when <see cref="PromptTokens"/> came from the provider's usage rather than the local count.</summary>
    public bool UsageReported { get; init; }

    /// <summary>The model named in the request body.</summary>
    public string Model { get; init; } = "";

    /// <summary>The provider's Batch API batch that answered the item, or null when it was sent online.</summary>
    public string? BatchId { get; init; }
}
