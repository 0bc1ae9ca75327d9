using LlmBatch.Redis.Workers;

namespace LlmBatch.Redis.Owner;

/// <summary>The whole job as its owner sees it: lines written, duplicates dropped, and every worker's own figures.</summary>
public sealed record RedisJobProgress
{
    /// <summary>The job's id.</summary>
    public required string JobId { get; init; }

    /// <summary>Time since the owner started.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Requests in the input.</summary>
    public long Total { get; init; }

    /// <summary>Items whose line the output already held when the owner started.</summary>
    public long Resumed { get; init; }

    /// <summary>Lines written by this owner so far.</summary>
    public long Written { get; init; }

    /// <summary>Of <see cref="Written"/>, lines of items that failed permanently.</summary>
    public long Failed { get; init; }

    /// <summary>Results dropped because their custom_id already had its line (an item answered twice), by the owner and by workers.</summary>
    public long Duplicates { get; init; }

    /// <summary>Every worker that reported in this job, the owner's own included.</summary>
    public IReadOnlyList<RedisWorkerStatus> Workers { get; init; } = [];

    /// <summary>The progress of the owner's own engine (null when it does not take part).</summary>
    public BatchProgress? Local { get; init; }

    /// <summary>The job as one run's progress, for displays made for one: items written, items held by every worker, their 429s.</summary>
    public BatchProgress ToBatchProgress()
    {
        int inFlight = 0;
        long rateLimited = 0;
        foreach (var w in Workers)
        {
            if (!w.Left)
            {
                inFlight += w.InFlight;
            }

            rateLimited += w.RateLimited;
        }

        return (Local ?? new BatchProgress()) with
        {
            Elapsed = Elapsed,
            Completed = Written,
            Succeeded = Written - Failed,
            Failed = Failed,
            InFlight = inFlight,
            RateLimited = rateLimited,
        };
    }
}
