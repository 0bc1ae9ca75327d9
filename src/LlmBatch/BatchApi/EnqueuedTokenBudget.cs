namespace LlmBatch.BatchApi;

/// <summary>
/// The provider's enqueued-token limit per model, as far as the job knows it: the configured value if any, else learned
/// from refusals. A creation refused while the job had <c>ours</c> tokens of that model enqueued proves the limit lies
/// below <c>ours + tokens</c>; later chunks wait until their total fits under that. With nothing of its own enqueued
/// the job always tries, since others' batches may have ended; a chunk refused then is too big alone and is halved.
/// </summary>
internal sealed class EnqueuedTokenBudget(Dictionary<string, long> learned, long? configured)
{
    /// <summary>The highest total the job will enqueue for <paramref name="model"/>.</summary>
    public long Ceiling(string model) =>
        Math.Min(configured ?? long.MaxValue, learned.TryGetValue(model, out var ceiling) ? ceiling : long.MaxValue);

    /// <summary>True when a chunk of <paramref name="tokens"/> may be created now beside <paramref name="ours"/>.</summary>
    public bool Allows(string model, long ours, long tokens) => ours == 0 || ours + tokens <= Ceiling(model);

    /// <summary>True when a chunk cannot fit even alone under the configured limit.</summary>
    public bool TooBig(long tokens) => configured is { } limit && tokens > limit;

    /// <summary>Learns from a refusal of <paramref name="tokens"/> made beside <paramref name="ours"/>.</summary>
    public void Refused(string model, long ours, long tokens)
    {
        var below = ours + tokens - 1;
        learned[model] = learned.TryGetValue(model, out var ceiling) ? Math.Min(ceiling, below) : below;
    }
}
