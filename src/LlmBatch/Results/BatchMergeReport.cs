namespace LlmBatch.Results;

/// <summary>What <see cref="BatchResultsMerger.MergeAsync"/> found and wrote.</summary>
public sealed class BatchMergeReport
{
    /// <summary>The kind merged (never <see cref="BatchMergeKind.Auto"/>).</summary>
    public required BatchMergeKind Kind { get; init; }

    /// <summary>Result lines read (label lines of a classification included).</summary>
    public required long Total { get; init; }

    /// <summary>Lines that succeeded and whose content could be used.</summary>
    public required long Succeeded { get; init; }

    /// <summary>Lines that failed, or succeeded with content that could not be used.</summary>
    public required long Failed { get; init; }

    /// <summary>Failures per kind: the error code (<c>http_429</c>, <c>timeout</c>…), <c>invalid_response</c> or <c>invalid_label</c>; largest first.</summary>
    public required IReadOnlyList<KeyValuePair<string, long>> ErrorsByKind { get; init; }

    /// <summary>The files written.</summary>
    public required IReadOnlyList<string> FilesWritten { get; init; }

    /// <summary>Rows of the embeddings matrix (0 for text).</summary>
    public long EmbeddingRows { get; init; }

    /// <summary>Columns of the embeddings matrix (0 for text).</summary>
    public int EmbeddingDimensions { get; init; }

    /// <summary>The classification report, for <see cref="BatchMergeKind.Classification"/>; null otherwise.</summary>
    public ClassificationReport? Classification { get; init; }
}
