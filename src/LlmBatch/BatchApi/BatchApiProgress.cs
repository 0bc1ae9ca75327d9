namespace LlmBatch.BatchApi;

/// <summary>A snapshot of a running <see cref="BatchApiJob"/>, cheap to take, for progress displays.</summary>
public sealed record BatchApiProgress
{
    /// <summary>What the job is doing, for example <c>uploading chunk 2 of 3</c> or <c>waiting for 3 batches</c>.</summary>
    public string Phase { get; init; } = "starting";

    /// <summary>The plan the run follows, once made (a display prints it before anything else).</summary>
    public BatchPlan? Plan { get; init; }

    /// <summary>Requests in the input.</summary>
    public long Total { get; init; }

    /// <summary>Requests with a final line from an earlier run.</summary>
    public long Resumed { get; init; }

    /// <summary>Success lines written by this run (batch and online).</summary>
    public long Succeeded { get; init; }

    /// <summary>Failure lines written by this run (batch and online).</summary>
    public long Failed { get; init; }

    /// <summary>The chunks of the job, oldest first (done ones included).</summary>
    public IReadOnlyList<BatchApiChunkProgress> Chunks { get; init; } = [];

    /// <summary>Time since this run started.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>How long until the last running batch ends, at the pace of each so far; null when unknown.</summary>
    public TimeSpan? Eta { get; init; }

    /// <summary>
    /// The last things that happened worth saying (at most 20, oldest first), for example
    /// <c>batch_abc expired: 90 succeeded, 0 failed; 10 without an answer go into a new batch</c>.
    /// </summary>
    public IReadOnlyList<string> RecentEvents { get; init; } = [];

    /// <summary>How many events happened so far: a display that remembers it knows which of <see cref="RecentEvents"/> are new.</summary>
    public int EventCount { get; init; }

    /// <summary>The online part's progress while it runs, else null.</summary>
    public BatchProgress? Online { get; init; }
}
