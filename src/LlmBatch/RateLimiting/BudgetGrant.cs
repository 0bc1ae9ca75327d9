namespace LlmBatch.RateLimiting;

/// <summary>What an <see cref="IRateBudget"/> granted one attempt, handed back when it is settled.</summary>
/// <param name="Requests">Requests taken.</param>
/// <param name="Tokens">Tokens taken: the estimate that the answer's usage settles.</param>
/// <param name="RequestsDispatched">
/// Requests granted by the budget in all (by every process sharing it), this one's included: a response's headers
/// describe the server's books as this attempt reached it, and what was granted after it is not in them yet.
/// </param>
/// <param name="TokensDispatched">Tokens granted in all, this one's included.</param>
/// <param name="Stamp">When it was granted, on the budget's own clock (a local timestamp, or the shared store's time).</param>
internal readonly record struct BudgetGrant(long Requests, long Tokens, long RequestsDispatched, long TokensDispatched, long Stamp);
