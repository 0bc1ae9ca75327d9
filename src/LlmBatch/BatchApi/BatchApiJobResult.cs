namespace LlmBatch.BatchApi;

/// <summary>What a <see cref="BatchApiJob"/> run did.</summary>
public sealed class BatchApiJobResult
{
    /// <summary>The plan the run followed (for a rerun, the plan of what was left).</summary>
    public required BatchPlan Plan { get; init; }

    /// <summary>Success lines this run wrote from batches.</summary>
    public long BatchSucceeded { get; init; }

    /// <summary>Failure lines this run wrote from batches.</summary>
    public long BatchFailed { get; init; }

    /// <summary>The online part's result (auto mode's online share, or the fallback), or null when nothing went online.</summary>
    public BatchJobResult? Online { get; init; }

    /// <summary>Items with a final line from an earlier run.</summary>
    public long Skipped { get; init; }

    /// <summary>Items still without a final line; more than 0 only after a stop (a rerun continues) or with batches still running.</summary>
    public long Remaining { get; init; }

    /// <summary>True when the run stopped before every item had its line: batches may still run on the provider.</summary>
    public bool Interrupted { get; init; }

    /// <summary>Failed items in the whole output file.</summary>
    public long FailedInOutput { get; init; }

    /// <summary>The job's chunks and batches as last seen.</summary>
    public IReadOnlyList<BatchApiChunkProgress> Chunks { get; init; } = [];

    /// <summary>The state file that records the job's batches.</summary>
    public required string StatePath { get; init; }
}
