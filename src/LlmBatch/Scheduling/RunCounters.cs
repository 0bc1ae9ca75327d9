using LlmBatch.Output;

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
    private long _lastProgress;
    private long _lastThrottle;
    private int _lastThrottleStatus;

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

    /// <summary>An attempt ended; <paramref name="throttled"/> when it was a rate-limit or overload answer.</summary>
    public void AttemptEnded(int statusCode, bool throttled, long timestamp)
    {
        Interlocked.Decrement(ref _inFlight);
        if (statusCode == 429)
        {
            Interlocked.Increment(ref _rateLimited);
        }

        if (throttled)
        {
            Volatile.Write(ref _lastThrottleStatus, statusCode);
            InterlockedMax(ref _lastThrottle, timestamp);
        }
        else
        {
            // Any other outcome moves the run on: a success, or a failure that counts towards an item's end.
            InterlockedMax(ref _lastProgress, timestamp);
        }
    }

    /// <summary>Marks the start of a run, or any other progress, at <paramref name="timestamp"/>.</summary>
    public void MarkProgress(long timestamp)
    {
        Volatile.Write(ref _lastThrottle, 0);
        InterlockedMax(ref _lastProgress, timestamp);
    }

    /// <summary>The status of the last throttle answer (429, 503, 529).</summary>
    public int LastThrottleStatus => Volatile.Read(ref _lastThrottleStatus);

    /// <summary>
    /// How long the run has gone without progress while the server refused, or null when it is not stalled: the last
    /// answer after the last progress must be a throttle. A run whose attempts are all still on the wire is not
    /// stalled: hung attempts end at their timeout, which counts as a failure and so as progress.
    /// </summary>
    /// <param name="now">Now.</param>
    /// <param name="frequency">The timestamps' frequency.</param>
    /// <param name="refusedNow">True while admission itself is refused (a shared rate budget that cannot be reached): a throttle now.</param>
    public TimeSpan? StalledFor(long now, long frequency, bool refusedNow = false)
    {
        var progress = Interlocked.Read(ref _lastProgress);
        var throttle = refusedNow ? now : Interlocked.Read(ref _lastThrottle);
        return throttle > progress ? TimeSpan.FromSeconds((now - progress) / (double)frequency) : null;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    public void ItemCompleted(BatchResult result, long timestamp)
    {
        InterlockedMax(ref _lastProgress, timestamp);
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
