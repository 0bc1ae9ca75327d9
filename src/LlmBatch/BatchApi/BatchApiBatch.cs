namespace LlmBatch.BatchApi;

/// <summary>A batch as the provider describes it (<c>GET /v1/batches/{id}</c>).</summary>
public sealed record BatchApiBatch
{
    /// <summary>The batch id, for example <c>batch_abc123</c>.</summary>
    public required string Id { get; init; }

    /// <summary>Its status.</summary>
    public BatchApiStatus Status { get; init; }

    /// <summary>The status as the provider spelled it.</summary>
    public string StatusText { get; init; } = "";

    /// <summary>The endpoint its items go to, for example <c>/v1/chat/completions</c>.</summary>
    public string Endpoint { get; init; } = "";

    /// <summary>The uploaded input file.</summary>
    public string InputFileId { get; init; } = "";

    /// <summary>The file of successful answers, once the batch has ended.</summary>
    public string? OutputFileId { get; init; }

    /// <summary>The file of error lines, once the batch has ended with any.</summary>
    public string? ErrorFileId { get; init; }

    /// <summary>Items in the batch (0 until validation is done).</summary>
    public int Total { get; init; }

    /// <summary>Items answered successfully so far.</summary>
    public int Completed { get; init; }

    /// <summary>Items answered with an error so far.</summary>
    public int Failed { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>When its items started to run.</summary>
    public DateTimeOffset? InProgressAt { get; init; }

    /// <summary>When its completion window ends.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>When it ended: completed, failed, expired or cancelled.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Why validation refused it (empty unless <see cref="Status"/> is <see cref="BatchApiStatus.Failed"/>).</summary>
    public IReadOnlyList<BatchApiError> Errors { get; init; } = [];

    /// <summary>The metadata given at creation (LlmBatch names its job, output and chunk there).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
