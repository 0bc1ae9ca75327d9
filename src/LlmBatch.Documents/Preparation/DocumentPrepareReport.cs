namespace LlmBatch.Documents;

/// <summary>What <see cref="DocumentPreparer.PrepareAsync"/> wrote.</summary>
public sealed class DocumentPrepareReport
{
    /// <summary>Documents turned into requests.</summary>
    public required long Documents { get; init; }

    /// <summary>Requests written: one per chunk.</summary>
    public required long Chunks { get; init; }

    /// <summary>Files skipped, with their reasons (at most the first 1,000; <see cref="SkippedCount"/> has them all).</summary>
    public required IReadOnlyList<SkippedDocument> Skipped { get; init; }

    /// <summary>Files skipped in all.</summary>
    public required long SkippedCount { get; init; }

    /// <summary>Earlier results removed from the output because their request changed (an edited or removed document).</summary>
    public required long StaleResultsRemoved { get; init; }

    /// <summary>The request file.</summary>
    public required string RequestsPath { get; init; }

    /// <summary>The manifest (<see cref="DocumentManifest"/>).</summary>
    public required string ManifestPath { get; init; }
}
