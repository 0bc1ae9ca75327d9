using LlmBatch.Concurrency;

namespace LlmBatch.RateLimiting;

/// <summary>
/// What <see cref="ResourceController.AcquireAsync"/> granted one attempt: its reservation and where it stood in
/// the stream of dispatches, so that the response's headers can be related to what was sent after it.
/// </summary>
/// <param name="Tokens">Tokens reserved against the token budget.</param>
/// <param name="AdmittedAt">The <see cref="TimeProvider.GetTimestamp"/> at admission.</param>
/// <param name="RequestsDispatched">Requests admitted in all, this one included.</param>
/// <param name="TokensDispatched">Tokens reserved in all, this one's included.</param>
/// <param name="Sequence">The attempt's number with the concurrency limit, to tell answers from before a cut.</param>
/// <param name="ConcurrencyAtStart">Attempts on the wire when it was admitted, itself included.</param>
/// <param name="InFlightAreaAtStart">The concurrency limit's <see cref="AdaptiveConcurrencyLimit.InFlightArea"/> just after admission.</param>
internal readonly record struct RateLease(long Tokens, long AdmittedAt, long RequestsDispatched, long TokensDispatched, long Sequence, int ConcurrencyAtStart, double InFlightAreaAtStart);
