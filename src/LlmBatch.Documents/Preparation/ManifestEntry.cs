namespace LlmBatch.Documents;

/// <summary>
/// One line of a run's document manifest (<c>OUTPUT.documents.jsonl</c>): a chunk (with <see cref="CustomId"/>), the
/// end of a document (with <see cref="Chunks"/>) or a skipped file (with <see cref="SkipReason"/>). Lines are in input
/// order: a document's chunks, then its end line.
/// </summary>
public sealed record ManifestEntry
{
    /// <summary>The chunk's custom_id (<c>path#0007</c>, or the path when documents are not chunked); null for other lines.</summary>
    public string? CustomId { get; init; }

    /// <summary>The document's path relative to the input folder.</summary>
    public required string Path { get; init; }

    /// <summary>The chunk's 0-based index.</summary>
    public int Chunk { get; init; }

    /// <summary>The chunk's first character in the document's text.</summary>
    public long Start { get; init; }

    /// <summary>Just past the chunk's last character.</summary>
    public long End { get; init; }

    /// <summary>Characters at the start of the chunk that repeat the chunk before.</summary>
    public int Overlap { get; init; }

    /// <summary>The chunk's tokens by the model's tokenizer.</summary>
    public int Tokens { get; init; }

    /// <summary>The page where the chunk's own text starts (PDF), else null.</summary>
    public int? Page { get; init; }

    /// <summary>The page where the chunk ends (PDF), else null.</summary>
    public int? LastPage { get; init; }

    /// <summary>The chunk's text (null when read without texts).</summary>
    public string? Text { get; init; }

    /// <summary>On a document's end line: how many chunks it has; else 0.</summary>
    public int Chunks { get; init; }

    /// <summary>On a skipped file's line: why it was skipped; else null.</summary>
    public string? SkipReason { get; init; }

    /// <summary>True for a chunk line.</summary>
    public bool IsChunk => CustomId is not null;

    /// <summary>True for a document's end line.</summary>
    public bool IsDocumentEnd => CustomId is null && SkipReason is null;
}
