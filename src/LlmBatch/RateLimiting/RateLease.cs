using LlmBatch.Concurrency;

namespace LlmBatch.RateLimiting;

/// <summary>
/// What <see cref="ResourceController.AcquireAsync"/> granted one attempt: the budget's grant (its reservation and
/// where it stood in the stream of dispatches, so that the response's headers can be related to what was sent after
/// it) and its place with the concurrency limit.
/// </summary>
/// <param name="AdmittedAt">The <see cref="TimeProvider.GetTimestamp"/> at admission.</param>
/// <param name="Grant">What the <see cref="IRateBudget"/> granted, settled with the answer.</param>
/// <param name="Sequence">The attempt's number with the concurrency limit, to tell answers from before a cut.</param>
/// <param name="ConcurrencyAtStart">Attempts on the wire when it was admitted, itself included.</param>
/// <param name="InFlightAreaAtStart">The concurrency limit's <see cref="AdaptiveConcurrencyLimit.InFlightArea"/> just after admission.</param>
internal readonly record struct RateLease(long AdmittedAt, BudgetGrant Grant, long Sequence, int ConcurrencyAtStart, double InFlightAreaAtStart)
{
    /// <summary>Tokens reserved against the token budget.</summary>
    public long Tokens => Grant.Tokens;
}
