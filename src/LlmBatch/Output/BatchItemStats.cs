namespace LlmBatch.Output;

/// <summary>
/// LlmBatch's own facts about one item, written under the <c>llmbatch</c> key of its output line
/// so that tools reading Batch API output are unaffected.
/// </summary>
public sealed record BatchItemStats
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

    /// <summary>Of <see cref="PromptTokens"/>, those the provider served from its prompt cache (billed at the cached-input price); 0 when not reported.</summary>
    public int CachedPromptTokens { get; init; }

    /// <summary>True when <see cref="PromptTokens"/> came from the provider's usage rather than the local count.</summary>
    public bool UsageReported { get; init; }

    /// <summary>The model named in the request body.</summary>
    public string Model { get; init; } = "";

    /// <summary>True when the answer came from the response cache: no request was sent for this item.</summary>
    public bool Cached { get; init; }

    /// <summary>The custom_id whose answer this item shares (an identical request of the same run), or null; no request was sent for this item.</summary>
    public string? SharedWith { get; init; }

    /// <summary>
    /// How many inputs the embeddings request that answered this item carried (<see cref="BatchOptions.PackSize"/>);
    /// 0 when the item was sent alone. The pack's attempts, statuses, latency and wait are every member's.
    /// </summary>
    public int PackSize { get; init; }

    /// <summary>This item's place in its pack (0-based). Summaries count a pack's attempts once, at index 0.</summary>
    public int PackIndex { get; init; }

    /// <summary>True when this item's line carries the attempts of its request: it was sent alone, or it leads its pack.</summary>
    public bool CountsAttempts => PackSize <= 1 || PackIndex == 0;

    /// <summary>The name of the endpoint that gave the last answer, when the engine has several; null otherwise.</summary>
    public string? Endpoint { get; init; }

    /// <summary>The provider's Batch API batch that answered the item, or null when it was sent online.</summary>
    public string? BatchId { get; init; }
}
