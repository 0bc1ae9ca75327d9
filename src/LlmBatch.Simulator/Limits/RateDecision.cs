namespace LlmBatch.Simulator;

/// <summary>
/// The outcome of admission for one request and the state to report in headers. Limits of 0 mean that dimension
/// is not limited and its headers are left out.
/// </summary>
internal readonly record struct RateDecision(
    RateLimitKind Rejected,
    TimeSpan RetryAfter,
    long LimitRequests,
    long LimitTokens,
    long RemainingRequests,
    long RemainingTokens,
    TimeSpan ResetRequests,
    TimeSpan ResetTokens,
    long RequestedTokens)
{
    public bool Admitted => Rejected == RateLimitKind.None;

    /// <summary>The per-minute figure already spent, for the 429 message.</summary>
    public long UsedRequests { get; init; }

    /// <summary>The per-minute figure already spent, for the 429 message.</summary>
    public long UsedTokens { get; init; }
}
