namespace LlmBatch.RateLimiting;

/// <summary>
/// Rate-limit and retry facts a provider sent with a response: OpenAI's <c>x-ratelimit-*</c> headers, the standard
/// <c>retry-after</c>, Azure's <c>retry-after-ms</c> / <c>x-ms-retry-after-ms</c>, and <c>x-should-retry</c>.
/// Every field is null when its header was absent or unreadable.
/// </summary>
public sealed record RateLimitHeaders
{
    /// <summary>No headers at all.</summary>
    public static RateLimitHeaders Empty { get; } = new();

    /// <summary><c>x-ratelimit-limit-requests</c>: requests allowed per minute.</summary>
    public long? LimitRequests { get; init; }

    /// <summary><c>x-ratelimit-limit-tokens</c>: tokens allowed per minute.</summary>
    public long? LimitTokens { get; init; }

    /// <summary><c>x-ratelimit-remaining-requests</c>.</summary>
    public long? RemainingRequests { get; init; }

    /// <summary><c>x-ratelimit-remaining-tokens</c>.</summary>
    public long? RemainingTokens { get; init; }

    /// <summary><c>x-ratelimit-reset-requests</c>: until the request budget is full again.</summary>
    public TimeSpan? ResetRequests { get; init; }

    /// <summary><c>x-ratelimit-reset-tokens</c>: until the token budget is full again.</summary>
    public TimeSpan? ResetTokens { get; init; }

    /// <summary>How long the server asks the client to wait, from the most precise header present.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary><c>x-should-retry</c>: the server's own word on whether to retry.</summary>
    public bool? ShouldRetry { get; init; }

    /// <summary>True when any rate-limit budget header was present.</summary>
    public bool HasLimits => LimitRequests is not null || LimitTokens is not null || RemainingRequests is not null || RemainingTokens is not null;
}
