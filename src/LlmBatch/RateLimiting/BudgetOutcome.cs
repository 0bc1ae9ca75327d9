using LlmBatch.Providers;

namespace LlmBatch.RateLimiting;

/// <summary>What one attempt's end says to the budget it drew on: read once by the controller, settled by the budget.</summary>
/// <param name="Sent">False when the attempt never left: the whole grant goes back.</param>
/// <param name="Headers">The answer's rate-limit headers; null when there was no answer.</param>
/// <param name="Kind">How the answer throttles, if it does.</param>
/// <param name="Scope">Which budget a 429 names.</param>
/// <param name="ActualTokens">The tokens the answer's usage reports, or -1 when it reports none.</param>
/// <param name="TokensCharged">False when the server refused the request before spending tokens on it.</param>
internal readonly record struct BudgetOutcome(bool Sent, RateLimitHeaders? Headers, ThrottleKind Kind, RateLimitScope Scope, long ActualTokens, bool TokensCharged)
{
    /// <summary>The attempt got no answer (a transport error, a timeout, a cancellation): the server may have counted it.</summary>
    public static BudgetOutcome NoAnswer => new(true, null, ThrottleKind.None, RateLimitScope.Unknown, -1, TokensCharged: true);

    /// <summary>The grant was never used: nothing was sent.</summary>
    public static BudgetOutcome NotSent => new(false, null, ThrottleKind.None, RateLimitScope.Unknown, -1, TokensCharged: false);

    /// <summary>The outcome of an answer.</summary>
    /// <param name="response">The answer.</param>
    /// <param name="kind">Its <see cref="ThrottleClassifier"/> kind.</param>
    /// <param name="scope">The budget a 429 names.</param>
    /// <param name="actualTokens">The usage it reports, or -1.</param>
    public static BudgetOutcome Answered(BatchResponse response, ThrottleKind kind, RateLimitScope scope, long actualTokens) =>
        new(true, response.Headers ?? RateLimitHeaders.Empty, kind, scope, actualTokens, !NotCharged(response.StatusCode, kind, scope));

    /// <summary>True for answers that say the server refused the request before spending tokens on it.</summary>
    private static bool NotCharged(int status, ThrottleKind kind, RateLimitScope scope) =>
        kind switch
        {
            ThrottleKind.RateLimited => scope == RateLimitScope.Requests,
            ThrottleKind.RequestTooLarge or ThrottleKind.QuotaExhausted => true,
            _ => status is >= 400 and < 500 and not 408 and not 409 and not 429,
        };
}
