namespace LlmBatch;

/// <summary>Live counts of a run, updated lock-free from every item and read for progress snapshots.</summary>
internal sealed class RunCounters
{
    private long _completed;
    private long _succeeded;
    private long _failed;
    private long _attempts;
    private long _retries;
    private long _rateLimited;
    private long _promptTokens;
    private long _completionTokens;
    private int _inFlight;

    public long Succeeded => Interlocked.Read(ref _succeeded);

    /// <summary>An attempt goes on the wire; <paramref name="attempt"/> is the item's 1-based attempt number.</summary>
    public void AttemptStarted(int attempt)
    {
        Interlocked.Increment(ref _attempts);
        Interlocked.Increment(ref _inFlight);

        // Counted here rather than as attempts minus items started: items start before they wait on the limiter,
        // so that difference stays at zero while hundreds of items queue, hiding every retry from the live view.
        if (attempt > 1)
        {
            Interlocked.Increment(ref _retries);
        }
    }

    public void AttemptEnded(int statusCode)
    {
        Interlocked.Decrement(ref _inFlight);
        if (statusCode == 429)
        {
            Interlocked.Increment(ref _rateLimited);
        }
    }

    public void ItemCompleted(BatchResult result)
    {
        Interlocked.Increment(ref _completed);
        Interlocked.Increment(ref result.IsSuccess ? ref _succeeded : ref _failed);
        Interlocked.Add(ref _promptTokens, result.Stats.PromptTokens);
        Interlocked.Add(ref _completionTokens, result.Stats.CompletionTokens);
    }

    public BatchProgress Snapshot(TimeSpan elapsed, int waitingOnLimiter, double? rpm, double? tpm, DateTimeOffset? pausedUntil)
    {
        var attempts = Interlocked.Read(ref _attempts);
        return new BatchProgress
        {
            Elapsed = elapsed,
            Completed = Interlocked.Read(ref _completed),
            Succeeded = Interlocked.Read(ref _succeeded),
            Failed = Interlocked.Read(ref _failed),
            InFlight = Volatile.Read(ref _inFlight),
            WaitingOnLimiter = waitingOnLimiter,
            Attempts = attempts,
            Retries = Interlocked.Read(ref _retries),
            RateLimited = Interlocked.Read(ref _rateLimited),
            PromptTokens = Interlocked.Read(ref _promptTokens),
            CompletionTokens = Interlocked.Read(ref _completionTokens),
            RequestsPerMinuteLimit = rpm,
            TokensPerMinuteLimit = tpm,
            PausedUntil = pausedUntil,
        };
    }
}
