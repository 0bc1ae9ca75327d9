namespace LlmBatch.Input;

/// <summary>How an input file is checked by <see cref="BatchInputFile.ValidateAsync(string, BatchValidationOptions?, CancellationToken)"/>.</summary>
public sealed class BatchValidationOptions
{
    /// <summary>The largest line accepted, in bytes (default 8 MiB). The size of the largest line decides the memory a reader needs.</summary>
    public const int DefaultMaxLineBytes = 8 * 1024 * 1024;

    /// <summary>The smallest line cap accepted.</summary>
    internal const int MinMaxLineBytes = 16;

    /// <summary>The largest line cap accepted (1 GiB).</summary>
    internal const int MaxMaxLineBytes = 1 << 30;

    /// <summary>Problems listed at most (default 100); every problem is still counted in <see cref="BatchValidationReport.TotalErrors"/>.</summary>
    public int MaxErrors { get; set; } = 100;

    /// <summary>The largest line accepted, in bytes (default 8 MiB, at most 1 GiB); a longer line is an error naming its size.</summary>
    public int MaxLineBytes { get; set; } = DefaultMaxLineBytes;

    /// <summary>Whether prompt tokens are counted for the report (default true); counting is the slowest part of a check.</summary>
    public bool CountTokens { get; set; } = true;

    /// <summary>
    /// The completion tokens reserved for a request whose body sets no <c>max_completion_tokens</c>,
    /// <c>max_tokens</c> or <c>max_output_tokens</c> (default 256).
    /// </summary>
    public int DefaultMaxOutputTokens { get; set; } = 256;

    /// <summary>Checks every option and throws one exception listing every problem.</summary>
    /// <exception cref="BatchOptionsException">One or more options are out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (MaxErrors < 1)
        {
            problems.Add($"MaxErrors must be at least 1 (was {MaxErrors}).");
        }

        if (MaxLineBytes is < MinMaxLineBytes or > MaxMaxLineBytes)
        {
            problems.Add($"MaxLineBytes must be between {MinMaxLineBytes} and {MaxMaxLineBytes} (was {MaxLineBytes}).");
        }

        if (DefaultMaxOutputTokens is < 0 or > BatchOptions.MaxOutputTokensLimit)
        {
            problems.Add($"DefaultMaxOutputTokens must be between 0 and {BatchOptions.MaxOutputTokensLimit} (was {DefaultMaxOutputTokens}).");
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}
