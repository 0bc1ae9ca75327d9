namespace LlmBatch.Documents;

/// <summary>What <see cref="DocumentMapReduce.RunAsync"/> did.</summary>
public sealed class DocumentMapReduceResult
{
    /// <summary>Each phase's job, in order: the map, then each reduce level.</summary>
    public required IReadOnlyList<BatchJobResult> Phases { get; init; }

    /// <summary>Each phase's results file, in the same order.</summary>
    public required IReadOnlyList<string> PhaseOutputs { get; init; }

    /// <summary>True when a phase was stopped before it finished; a rerun resumes it.</summary>
    public bool Interrupted { get; init; }

    /// <summary>Lines of the final output (one per document); 0 when interrupted.</summary>
    public long Documents { get; init; }

    /// <summary>Documents whose final line is an error.</summary>
    public long FailedDocuments { get; init; }

    /// <summary>Documents whose answer was made without some of their chunks (each named in its line).</summary>
    public long IncompleteDocuments { get; init; }
}
