namespace LlmBatch.Redis.Workers;

/// <summary>
/// What one worker reports about itself to the job's worker hash, about once a second: the owner's live view and its
/// report show one row per worker.
/// </summary>
public sealed record RedisWorkerStatus
{
    /// <summary>The worker's consumer name in the job (host, process id and a random suffix).</summary>
    public required string WorkerId { get; init; }

    /// <summary>The worker's machine.</summary>
    public string Host { get; init; } = "";

    /// <summary>The worker's process id.</summary>
    public int ProcessId { get; init; }

    /// <summary>Items whose result this worker published (succeeded and failed).</summary>
    public long Done { get; init; }

    /// <summary>Of <see cref="Done"/>, items that failed permanently (their error line is a result too).</summary>
    public long Failed { get; init; }

    /// <summary>Items it answered after another worker had already published them (taken over meanwhile): dropped, not published.</summary>
    public long Duplicates { get; init; }

    /// <summary>Items taken over from a worker whose lease ran out.</summary>
    public long Reclaimed { get; init; }

    /// <summary>Errors of the worker itself: items it could not read, Redis calls retried through an outage.</summary>
    public long Errors { get; init; }

    /// <summary>Items it holds now (claimed, not yet published).</summary>
    public int InFlight { get; init; }

    /// <summary>Its requests answered with 429 so far.</summary>
    public long RateLimited { get; init; }

    /// <summary>Items per second since it joined the job.</summary>
    public double RatePerSecond { get; init; }

    /// <summary>When it last reported.</summary>
    public DateTimeOffset LastSeen { get; init; }

    /// <summary>True once it has left the job (done, stopped, or the job ended).</summary>
    public bool Left { get; init; }
}
