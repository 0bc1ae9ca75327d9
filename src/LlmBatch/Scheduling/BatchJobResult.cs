using LlmBatch.Input;
using LlmBatch.Reporting;

namespace LlmBatch;

/// <summary>What a file-to-file run did.</summary>
public sealed class BatchJobResult
{
    /// <summary>Figures for the items that finished in this run.</summary>
    public required RunSummary Summary { get; init; }

    /// <summary>The input check made before anything was sent.</summary>
    public required BatchValidationReport Validation { get; init; }

    /// <summary>Items skipped because the output already held their final line.</summary>
    public long Skipped { get; init; }

    /// <summary>Items left out by <see cref="BatchJobOptions.Include"/>.</summary>
    public long Excluded { get; init; }

    /// <summary>Items whose earlier failure line was removed to send them again (<see cref="BatchJobOptions.RetryFailed"/>).</summary>
    public long Requeued { get; init; }

    /// <summary>Bytes of a torn last line removed from the output before resuming.</summary>
    public long RepairedBytes { get; init; }

    /// <summary>Items with no final line when the run ended (only after a stop).</summary>
    public long Remaining { get; init; }

    /// <summary>True when the run was stopped before every item finished; a rerun resumes it.</summary>
    public bool Interrupted { get; init; }

    /// <summary>
    /// Why the engine stopped the run before every item finished, when it did so on its own: a
    /// <see cref="BatchStalledException"/> (the server refused everything for <see cref="BatchOptions.StallTimeout"/>)
    /// or a <see cref="BatchQuotaExhaustedException"/>. Null after a complete run or a stop the caller asked for.
    /// The items left have no line; a rerun sends them.
    /// </summary>
    public Exception? StoppedBy { get; init; }

    /// <summary>Failed items in the whole output file, this run's and earlier ones'.</summary>
    public long FailedInOutput { get; init; }

    /// <summary>
    /// The byte offset in the output file where this run's lines begin: the lines before it are those earlier runs left
    /// (resumed from, after any repair of a torn last line). Not meaningful once <see cref="BatchJobOptions.PreserveOrder"/>
    /// has sorted the file.
    /// </summary>
    public long OutputStartOffset { get; init; }
}
