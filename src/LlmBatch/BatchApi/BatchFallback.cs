namespace LlmBatch.BatchApi;

/// <summary>What happens to the items of a batch that failed, expired or was cancelled, and to items the provider answered with a retryable error.</summary>
public enum BatchFallback
{
    /// <summary>They go into a new batch (up to <see cref="BatchApiJobOptions.MaxSubmissions"/> submissions per item).</summary>
    Resubmit,

    /// <summary>They are sent online through <see cref="BatchApiJobOptions.OnlineEngine"/> once the batches have ended.</summary>
    Online,
}
