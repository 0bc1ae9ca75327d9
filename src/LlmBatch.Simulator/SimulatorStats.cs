namespace LlmBatch.Simulator;

/// <summary>
/// What the simulator served since it started or since <see cref="SimulatorServer.ResetStats"/>: the figures of
/// <c>GET /stats</c> and of the table the CLI prints at exit.
/// </summary>
public sealed record SimulatorStats
{
    /// <summary>Time covered by these figures.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>All requests received, of every endpoint and outcome.</summary>
    public required long TotalRequests { get; init; }

    /// <summary>
    /// Requests by endpoint path (<c>/v1/chat/completions</c>, ...; <c>other</c> for unknown paths) and HTTP status;
    /// status 0 counts connections dropped without a response (reset and hang faults).
    /// </summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<int, long>> Requests { get; init; }

    /// <summary>429 answers because the key's request budget ran out.</summary>
    public required long RateLimitedRequests { get; init; }

    /// <summary>429 answers because the key's token budget ran out.</summary>
    public required long RateLimitedTokens { get; init; }

    /// <summary>503 answers because <see cref="SimulatorOptions.MaxInFlight"/> was reached with <see cref="SimulatorOverflow.Reject"/>.</summary>
    public required long CapacityRejected { get; init; }

    /// <summary>Faults injected, by kind: <c>500</c>, <c>503</c>, <c>529</c>, <c>truncate</c>, <c>reset</c>, <c>hang</c>, <c>slow</c> (every kind present).</summary>
    public required IReadOnlyDictionary<string, long> Faults { get; init; }

    /// <summary>The most requests that were being handled at the same moment.</summary>
    public required int MaxInFlight { get; init; }

    /// <summary>Tokens charged against rate limits at admission (prompt plus <c>max_tokens</c>).</summary>
    public required long TokensAdmitted { get; init; }

    /// <summary>Prompt tokens of successful answers, as reported in their <c>usage</c>.</summary>
    public required long PromptTokens { get; init; }

    /// <summary>Completion tokens of successful answers, as reported in their <c>usage</c>.</summary>
    public required long CompletionTokens { get; init; }

    /// <summary>
    /// Successful answers to a request (same API key, same body) that had already been answered successfully:
    /// spend a real provider would have charged twice.
    /// </summary>
    public required long DuplicateSuccesses { get; init; }

    /// <summary>What the Files and Batches APIs did: uploads, batches, their ends, and uploads or batches made twice.</summary>
    public SimulatorBatchStats Batches { get; init; } = new();
}
