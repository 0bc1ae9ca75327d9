namespace LlmBatch.Simulator;

/// <summary>Which budget a rejected request ran out of.</summary>
internal enum RateLimitKind
{
    None,
    Requests,
    Tokens,
}
