namespace LlmBatch.BatchApi;

/// <summary>
/// Everything a Batch API job has started on the provider, kept in <c>OUTPUT.batches.json</c>: the chunks, their file
/// and batch ids and phases, and the provider files still to delete. The output file stays the record of results.
/// </summary>
internal sealed class BatchJobState
{
    public const int CurrentVersion = 1;

    public int Version { get; set; } = CurrentVersion;

    /// <summary>Names the job in uploads and batch metadata.</summary>
    public string JobId { get; set; } = "";

    /// <summary>The input file, as given on the first run.</summary>
    public string Input { get; set; } = "";

    /// <summary>The API root the batches live on (never the key).</summary>
    public string BaseUrl { get; set; } = "";

    public DateTimeOffset StartedAt { get; set; }

    /// <summary>The deadline of <see cref="BatchApiMode.Auto"/>, fixed on the first run so that a rerun plans with the time left.</summary>
    public DateTimeOffset? DeadlineAt { get; set; }

    public List<BatchChunkState> Chunks { get; set; } = [];

    /// <summary>Provider files whose lines are in the output: deleted once the output is on disk.</summary>
    public List<string> Cleanup { get; set; } = [];

    /// <summary>The learned enqueued-token ceiling per model (one below a total that was refused).</summary>
    public Dictionary<string, long> TokenCeilings { get; set; } = new(StringComparer.Ordinal);
}
