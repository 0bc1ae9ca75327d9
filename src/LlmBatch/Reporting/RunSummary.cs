using LlmBatch.Concurrency;

namespace LlmBatch.Reporting;

/// <summary>
/// Every end-of-run figure of a batch: outcomes, attempts, tokens, throughput, latency and limiter waits.
/// Built from the results by <see cref="RunSummaryBuilder"/> (so it can be rebuilt from an output file alone);
/// the figures only the live engine knows (peak memory, time intake was paused, the limits in force) are null
/// when the summary was rebuilt from a file. Written as <c>summary.json</c> next to the output (see docs/report.md).
/// </summary>
public sealed record RunSummary
{
    /// <summary>When the earliest item was first dispatched; null when no item was ever sent.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the last item reached its final outcome; null when no item was ever sent.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Duration of the run: given by the engine, or <see cref="FinishedAt"/> minus <see cref="StartedAt"/>.</summary>
    public TimeSpan WallTime { get; init; }

    /// <summary>Items with a final outcome (one per custom_id).</summary>
    public long Total { get; init; }

    /// <summary>Items that got a 2xx response with a valid body.</summary>
    public long Succeeded { get; init; }

    /// <summary>Items that failed permanently.</summary>
    public long Failed { get; init; }

    /// <summary>Failed items by error code (<c>http_400</c>, <c>timeout</c>, …; see docs/formats.md), ordinal keys.</summary>
    public IReadOnlyDictionary<string, long> FailedByCode { get; init; } = new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>HTTP requests made, first attempts and retries together.</summary>
    public long Attempts { get; init; }

    /// <summary>Attempts beyond each item's first.</summary>
    public long Retries { get; init; }

    /// <summary>Attempts answered with status 429 (Too Many Requests).</summary>
    public long RateLimited { get; init; }

    /// <summary>
    /// Attempts by HTTP status (0 for an attempt that got no response). For an item without per-attempt statuses
    /// (a provider's own Batch API output) its final status is counted once.
    /// </summary>
    public IReadOnlyDictionary<int, long> StatusCounts { get; init; } = new Dictionary<int, long>();

    /// <summary>Prompt (input) tokens of all items: reported usage where known, else the local count.</summary>
    public long PromptTokens { get; init; }

    /// <summary>Completion (output) tokens of all items, as reported by the provider.</summary>
    public long CompletionTokens { get; init; }

    /// <summary>Prompt plus completion tokens.</summary>
    public long TotalTokens => PromptTokens + CompletionTokens;

    /// <summary>Items whose token counts came from the provider's <c>usage</c> rather than the local estimate.</summary>
    public long UsageReportedItems { get; init; }

    /// <summary>Items answered from the response cache, with no request sent (not counting <see cref="SharedItems"/>).</summary>
    public long CachedItems { get; init; }

    /// <summary>Items that shared the answer of an identical request of the same run, with no request sent.</summary>
    public long SharedItems { get; init; }

    /// <summary>Items finished per second of <see cref="WallTime"/>; 0 when the wall time is 0.</summary>
    public double ItemsPerSecond { get; init; }

    /// <summary>HTTP requests (<see cref="Attempts"/>) per second of <see cref="WallTime"/>; 0 when the wall time is 0.</summary>
    public double RequestsPerSecond { get; init; }

    /// <summary><see cref="TotalTokens"/> per second of <see cref="WallTime"/>; 0 when the wall time is 0.</summary>
    public double TokensPerSecond { get; init; }

    /// <summary>Median duration of each item's final attempt, in milliseconds (within about 1 %).</summary>
    public double LatencyP50Ms { get; init; }

    /// <summary>95th-percentile duration of each item's final attempt, in milliseconds (within about 1 %).</summary>
    public double LatencyP95Ms { get; init; }

    /// <summary>99th-percentile duration of each item's final attempt, in milliseconds (within about 1 %).</summary>
    public double LatencyP99Ms { get; init; }

    /// <summary>Longest final attempt, in milliseconds (exact).</summary>
    public double LatencyMaxMs { get; init; }

    /// <summary>Mean duration of the final attempts, in milliseconds (exact).</summary>
    public double LatencyMeanMs { get; init; }

    /// <summary>Time all items spent waiting for the rate limiter, summed, in milliseconds.</summary>
    public double LimiterWaitMs { get; init; }

    /// <summary>The request budget per minute in force at the end of the run, when the engine knew one; else null.</summary>
    public double? RequestsPerMinuteLimit { get; init; }

    /// <summary>The token budget per minute in force at the end of the run, when the engine knew one; else null.</summary>
    public double? TokensPerMinuteLimit { get; init; }

    /// <summary>The most memory the process used during the run, in bytes, when the engine measured it; else null.</summary>
    public long? PeakMemoryBytes { get; init; }

    /// <summary>How long intake was paused by the memory guard, when one was in use; else null.</summary>
    public TimeSpan? IntakePausedTime { get; init; }

    /// <summary>The concurrency limit at the end of the run, when the engine knew it; else null.</summary>
    public int? ConcurrencyLimit { get; init; }

    /// <summary>True when the concurrency limit adapted to the server, false when it was fixed; null when rebuilt from a file.</summary>
    public bool? ConcurrencyAdapted { get; init; }

    /// <summary>
    /// The concurrency limit, the attempts on the wire and the goodput, one point per second of the run, when the
    /// engine recorded them; empty when rebuilt from a file.
    /// </summary>
    public IReadOnlyList<ConcurrencyPoint> ConcurrencyTimeline { get; init; } = [];

    /// <summary>
    /// Each endpoint's attempts, failures, 429s, health and limits when the run went over several
    /// (<see cref="BatchProgress.Endpoints"/>); empty otherwise, and when rebuilt from a file.
    /// </summary>
    public IReadOnlyList<Endpoints.EndpointProgress> Endpoints { get; init; } = [];
}
