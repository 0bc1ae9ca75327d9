namespace LlmBatch.RateLimiting;

/// <summary>Which budget a 429 says ran out.</summary>
internal enum RateLimitScope
{
    /// <summary>The answer does not say: both budgets are suspect.</summary>
    Unknown,

    /// <summary>The request budget (OpenAI's error type <c>requests</c>).</summary>
    Requests,

    /// <summary>The token budget (OpenAI's error type <c>tokens</c>).</summary>
    Tokens,
}
