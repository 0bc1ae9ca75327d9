namespace LlmBatch.Simulator;

/// <summary>One API key's buckets; null where that dimension is not limited. Callers lock the instance.</summary>
internal sealed class KeyBuckets(int rpm, long tpm, double burst, double now)
{
    public TokenBucket? Requests { get; } = rpm > 0 ? new TokenBucket(rpm, burst, now) : null;

    public TokenBucket? Tokens { get; } = tpm > 0 ? new TokenBucket(tpm, burst, now) : null;
}
