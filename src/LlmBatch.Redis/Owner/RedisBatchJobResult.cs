using LlmBatch.Redis.Workers;

namespace LlmBatch.Redis.Owner;

/// <summary>What a job run through Redis did, as its owner saw it.</summary>
public sealed class RedisBatchJobResult
{
    /// <summary>The job's id; the same command resumes it.</summary>
    public required string JobId { get; init; }

    /// <summary>The file-to-file figures, as <see cref="BatchJob"/> reports them, over the lines this owner wrote.</summary>
    public required BatchJobResult Job { get; init; }

    /// <summary>Results dropped because their custom_id already had its line: by this owner (read from Redis) and by workers (answered after another had).</summary>
    public long Duplicates { get; init; }

    /// <summary>Items the workers took over after another's lease ran out (and so sent again, at most what that worker held).</summary>
    public long Reclaimed { get; init; }

    /// <summary>Every worker that took part, the owner's own included, with its last figures.</summary>
    public IReadOnlyList<RedisWorkerStatus> Workers { get; init; } = [];

    /// <summary>True when every custom_id has its line and the job was closed in Redis.</summary>
    public bool Completed { get; init; }
}
