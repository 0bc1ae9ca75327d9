namespace LlmBatch.BatchApi;

/// <summary>One chunk (batch file) of a running job, for progress displays.</summary>
public sealed record BatchApiChunkProgress
{
    /// <summary>The chunk's number within the job.</summary>
    public required int Index { get; init; }

    /// <summary>Its model.</summary>
    public required string Model { get; init; }

    /// <summary>Its requests.</summary>
    public required int Requests { get; init; }

    /// <summary>Where it stands on our side: <c>ready</c>, <c>uploading</c>, <c>uploaded</c>, <c>creating</c>, <c>submitted</c>, <c>done</c>.</summary>
    public required string Phase { get; init; }

    /// <summary>Its current batch, once created.</summary>
    public string? BatchId { get; init; }

    /// <summary>The batch's status as last seen.</summary>
    public BatchApiStatus Status { get; init; }

    /// <summary>Items answered successfully (the provider's <c>request_counts.completed</c>).</summary>
    public int Completed { get; init; }

    /// <summary>Items answered with an error (<c>request_counts.failed</c>).</summary>
    public int Failed { get; init; }

    /// <summary>How long until it ends, at its pace so far; null before it has a pace.</summary>
    public TimeSpan? Eta { get; init; }

    /// <summary>Why it waits or was refused, if it does or was.</summary>
    public string? Note { get; init; }
}
