namespace LlmBatch.Redis.Jobs;

/// <summary>
/// The keys of one job. They share the hash tag <c>{job:ID}</c>, so on a Redis Cluster they live in one slot and one
/// script may touch the items and the results together.
/// </summary>
internal sealed class RedisJobKeys
{
    /// <summary>The set of open job ids workers look in.</summary>
    public const string OpenJobs = RedisScaleOut.KeyPrefix + "jobs";

    /// <summary>The consumer group of the workers on <see cref="Items"/>.</summary>
    public const string WorkersGroup = "workers";

    /// <summary>The owner's consumer group (and its one consumer) on <see cref="Results"/>.</summary>
    public const string OwnerGroup = "owner";

    public RedisJobKeys(string jobId)
    {
        JobId = jobId;
        var tag = RedisScaleOut.KeyPrefix + "{job:" + jobId + "}";
        Job = tag;
        Items = tag + ":items";
        Results = tag + ":results";
        Workers = tag + ":workers";
        Counts = tag + ":counts";
    }

    public string JobId { get; }

    /// <summary>Hash: <c>spec</c> (JSON), <c>state</c> (open, done), <c>enqueued</c> (the last input line enqueued).</summary>
    public string Job { get; }

    /// <summary>Stream of requests, one entry per input line, its id <c>LINE-0</c>.</summary>
    public string Items { get; }

    /// <summary>Stream of result lines, published by workers, collected by the owner.</summary>
    public string Results { get; }

    /// <summary>Hash: worker id → <see cref="Workers.RedisWorkerStatus"/> JSON.</summary>
    public string Workers { get; }

    /// <summary>Hash: <c>WORKER:done</c>, <c>WORKER:failed</c>, <c>WORKER:dup</c>, counted by the publish script itself, so exact.</summary>
    public string Counts { get; }

    /// <summary>Every key of the job, for clean-up.</summary>
    public StackExchange.Redis.RedisKey[] All => [Job, Items, Results, Workers, Counts];
}
