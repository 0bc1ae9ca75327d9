namespace LlmBatch.Reporting;

/// <summary>
/// One worker of a job spread over several processes (a Redis job: <c>run --redis</c> and <c>llmbatch worker</c>), as
/// its last report said; the report lists one row per worker (<c>workers</c> in <c>summary.json</c>).
/// </summary>
public sealed record RunReportWorker
{
    /// <summary>The worker's id in the job (host, process id and a random suffix).</summary>
    public required string Id { get; init; }

    /// <summary>The worker's machine.</summary>
    public string Host { get; init; } = "";

    /// <summary>The worker's process id.</summary>
    public int ProcessId { get; init; }

    /// <summary>Items whose result it published (succeeded and failed).</summary>
    public long Done { get; init; }

    /// <summary>Of <see cref="Done"/>, items that failed permanently.</summary>
    public long Failed { get; init; }

    /// <summary>Its answers dropped because another worker had already published the item.</summary>
    public long Duplicates { get; init; }

    /// <summary>Items it took over from a worker whose lease ran out.</summary>
    public long Reclaimed { get; init; }

    /// <summary>Errors of the worker itself (lines it could not read, calls retried through an outage).</summary>
    public long Errors { get; init; }

    /// <summary>Its requests answered with 429.</summary>
    public long RateLimited { get; init; }

    /// <summary>Items per second over its time in the job.</summary>
    public double ItemsPerSecond { get; init; }

    /// <summary>When it last reported.</summary>
    public DateTimeOffset LastSeen { get; init; }

    /// <summary>True when it had left the job (done or stopped); false for one still in it or lost.</summary>
    public bool Left { get; init; }

    /// <summary>True when, still in the job, it had been silent for longer than the job's lease (its items go to the others).</summary>
    public bool Lost { get; init; }

    /// <summary>"left", "lost" or "active", as <c>summary.json</c> and the page show it.</summary>
    internal string State => Left ? "left" : Lost ? "lost" : "active";
}
