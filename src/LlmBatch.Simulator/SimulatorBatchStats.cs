namespace LlmBatch.Simulator;

/// <summary>
/// What the simulated Batch API did: the <c>batches</c> part of <see cref="SimulatorStats"/>. A client that never loses
/// track of its work keeps <see cref="DuplicateUploads"/> and <see cref="DuplicateBatches"/> at zero across crashes.
/// </summary>
public sealed record SimulatorBatchStats
{
    /// <summary>Files uploaded through <c>POST /v1/files</c>.</summary>
    public long FilesUploaded { get; init; }

    /// <summary>Bytes of those files.</summary>
    public long BytesUploaded { get; init; }

    /// <summary>Uploads whose content equals an earlier upload's byte for byte: a file uploaded twice.</summary>
    public long DuplicateUploads { get; init; }

    /// <summary>Files deleted through <c>DELETE /v1/files/{id}</c>.</summary>
    public long FilesDeleted { get; init; }

    /// <summary>Batches created through <c>POST /v1/batches</c>.</summary>
    public long BatchesCreated { get; init; }

    /// <summary>
    /// Batches created on an input file that already had a batch which had not failed, expired or been cancelled:
    /// a batch created twice (the same items paid twice).
    /// </summary>
    public long DuplicateBatches { get; init; }

    /// <summary>Batches refused at validation with <c>token_limit_exceeded</c>.</summary>
    public long TokenLimitRejected { get; init; }

    /// <summary>Batches that reached <c>completed</c>.</summary>
    public long Completed { get; init; }

    /// <summary>Batches that reached <c>failed</c> (token limit, invalid file or injected failure).</summary>
    public long Failed { get; init; }

    /// <summary>Batches that reached <c>expired</c>.</summary>
    public long Expired { get; init; }

    /// <summary>Batches that reached <c>cancelled</c>.</summary>
    public long Cancelled { get; init; }

    /// <summary>Batch items answered (their lines are in an output or error file).</summary>
    public long ItemsAnswered { get; init; }

    /// <summary>Batch items answered with an error line (an HTTP error, or an injected 500).</summary>
    public long ItemErrors { get; init; }
}
