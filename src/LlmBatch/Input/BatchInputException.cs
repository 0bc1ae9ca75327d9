namespace LlmBatch.Input;

/// <summary>The input is not a valid batch; <see cref="Errors"/> lists every problem found, up to a cap.</summary>
public sealed class BatchInputException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    /// <param name="errors">The problems, at least one.</param>
    /// <param name="totalErrors">How many problems there were in all, when more were found than listed.</param>
    public BatchInputException(IReadOnlyList<BatchInputError> errors, long totalErrors = -1)
        : base(BuildMessage(errors, totalErrors))
    {
        Errors = errors;
        TotalErrors = totalErrors < 0 ? errors.Count : totalErrors;
    }

    /// <summary>Creates the exception for a single problem.</summary>
    /// <param name="error">The problem.</param>
    public BatchInputException(BatchInputError error)
        : this([error])
    {
    }

    /// <summary>The problems found, in file order, at most the validation cap.</summary>
    public IReadOnlyList<BatchInputError> Errors { get; }

    /// <summary>How many problems were found in all (may exceed <see cref="Errors"/>.Count).</summary>
    public long TotalErrors { get; }

    private static string BuildMessage(IReadOnlyList<BatchInputError> errors, long total)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var sb = new System.Text.StringBuilder();
        var count = total < 0 ? errors.Count : total;
        sb.Append(count == 1 ? "1 problem in the input:" : $"{count} problems in the input:");
        foreach (var e in errors)
        {
            sb.Append('\n').Append("  ").Append(e);
        }

        if (count > errors.Count)
        {
            sb.Append('\n').Append($"  ... and {count - errors.Count} more");
        }

        return sb.ToString();
    }
}
