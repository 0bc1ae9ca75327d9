namespace LlmBatch;

/// <summary>
/// What <see cref="ResourceController.AcquireAsync"/> granted one attempt: its reservation and where it stood in
/// the stream of dispatches, so that the response's headers can be related to what was sent after it.
/// </summary>
/// <param name="Tokens">Tokens reserved against the token budget.</param>
/// <param name="AdmittedAt">The <see cref="TimeProvider.GetTimestamp"/> at admission.</param>
/// <param name="RequestsDispatched">Requests admitted in all, this one included.</param>
/// <param name="TokensDispatched">Tokens reserved in all, this one's included.</param>
/// <param name="Probe">Admitted as the single probe sent before the first response taught the limits.</param>
internal readonly record struct RateLease(long Tokens, long AdmittedAt, long RequestsDispatched, long TokensDispatched, bool Probe);
