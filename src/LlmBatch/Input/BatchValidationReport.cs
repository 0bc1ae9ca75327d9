using LlmBatch.RateLimiting;

namespace LlmBatch.Input;

/// <summary>What a check of an input file found: its shape, its estimated token cost, and every problem (up to a cap).</summary>
public sealed class BatchValidationReport
{
    internal BatchValidationReport(
        string path,
        long lines,
        long requests,
        long blankLines,
        IReadOnlyDictionary<string, long> byEndpoint,
        IReadOnlyDictionary<string, long> byModel,
        long estimatedPromptTokens,
        long reservedCompletionTokens,
        IReadOnlyList<BatchInputError> errors,
        long totalErrors,
        TimeSpan elapsed)
    {
        Path = path;
        Lines = lines;
        Requests = requests;
        BlankLines = blankLines;
        ByEndpoint = byEndpoint;
        ByModel = byModel;
        EstimatedPromptTokens = estimatedPromptTokens;
        ReservedCompletionTokens = reservedCompletionTokens;
        Errors = errors;
        TotalErrors = totalErrors;
        Elapsed = elapsed;
    }

    /// <summary>The file checked (or the display name of the stream).</summary>
    public string Path { get; }

    /// <summary>Lines read, blank and invalid ones included.</summary>
    public long Lines { get; }

    /// <summary>Valid requests: lines that passed every check.</summary>
    public long Requests { get; }

    /// <summary>Lines holding nothing but whitespace; they are skipped.</summary>
    public long BlankLines { get; }

    /// <summary>Valid requests per url as written in the file, for example <c>/v1/chat/completions</c>.</summary>
    public IReadOnlyDictionary<string, long> ByEndpoint { get; }

    /// <summary>Valid requests per <c>body.model</c>.</summary>
    public IReadOnlyDictionary<string, long> ByModel { get; }

    /// <summary>Prompt tokens of the valid requests, as counted by <see cref="TokenCounter"/>; 0 when counting was off.</summary>
    public long EstimatedPromptTokens { get; }

    /// <summary>
    /// Completion tokens the valid requests may use: each body's output limit, else
    /// <see cref="BatchValidationOptions.DefaultMaxOutputTokens"/>; embeddings reserve none.
    /// </summary>
    public long ReservedCompletionTokens { get; }

    /// <summary>The problems found in file order, at most <see cref="BatchValidationOptions.MaxErrors"/>.</summary>
    public IReadOnlyList<BatchInputError> Errors { get; }

    /// <summary>How many problems were found in all.</summary>
    public long TotalErrors { get; }

    /// <summary>True when the file can be run: no problem found and at least one request.</summary>
    public bool IsValid => TotalErrors == 0;

    /// <summary>How long the check took.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Throws when the file cannot be run.</summary>
    /// <exception cref="BatchInputException">The report lists problems; the exception carries them.</exception>
    public void ThrowIfInvalid()
    {
        if (!IsValid)
        {
            throw new BatchInputException(Errors, TotalErrors);
        }
    }
}
