namespace LlmBatch.RateLimiting;

/// <summary>What an <see cref="AdmissionQueue"/> asks before it lets the head of the queue go.</summary>
internal interface IAdmissionPolicy
{
    /// <summary>
    /// Reserves what one attempt of <paramref name="tokens"/> needs when nothing stands in the way; otherwise says how
    /// long to wait (<see cref="Timeout.InfiniteTimeSpan"/> when only an event, such as an answer freeing a slot, can help).
    /// Called under the queue's lock.
    /// </summary>
    bool TryAdmit(long tokens, long now, out RateLease lease, out TimeSpan delay);
}
