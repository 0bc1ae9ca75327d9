namespace LlmBatch;

/// <summary>A file-to-file run: where to read, where to write, how to resume and stop.</summary>
public sealed class BatchJobOptions
{
    /// <summary>The input file of Batch API request lines (required).</summary>
    public string InputPath { get; set; } = "";

    /// <summary>The output file of Batch API result lines (required). An existing file is resumed, never overwritten.</summary>
    public string OutputPath { get; set; } = "";

    /// <summary>Send again the items whose earlier result was a permanent failure (default false).</summary>
    public bool RetryFailed { get; set; }

    /// <summary>Rewrite the output in input order when the run ends (default false: completion order).</summary>
    public bool PreserveOrder { get; set; }

    /// <summary>After a stop is requested, how long requests in flight may still finish (default 10 s).</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How the input is checked before anything is sent (default: 100 errors listed, 8 MiB per line).</summary>
    public BatchValidationOptions Validation { get; set; } = new();

    /// <summary>
    /// Called once, after the output has been read and before anything is sent, with how many items it already holds a
    /// final line for (this run skips them), so a progress display can count them as done. Default none.
    /// </summary>
    public Action<long>? Resumed { get; set; }

    /// <summary>
    /// A check of <see cref="InputPath"/> the caller already made with <see cref="BatchInputFile.ValidateAsync(string, BatchValidationOptions?, CancellationToken)"/>
    /// (default null: the job checks the file itself). Saves one full read of a large input.
    /// </summary>
    public BatchValidationReport? CheckedInput { get; set; }

    /// <summary>The clock for the grace period (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(InputPath))
        {
            problems.Add("InputPath is required.");
        }

        if (string.IsNullOrWhiteSpace(OutputPath))
        {
            problems.Add("OutputPath is required.");
        }
        else if (!string.IsNullOrWhiteSpace(InputPath) && FileIdentity.SameFile(InputPath, OutputPath))
        {
            // Any spelling counts: another case on a case-insensitive disk, a link, a second hard link.
            problems.Add($"OutputPath {OutputPath} is the input file {InputPath} (under another name); results would be appended to the requests.");
        }

        if (CheckedInput is { } check && !string.IsNullOrWhiteSpace(InputPath) && !FileIdentity.SameFile(check.Path, InputPath))
        {
            problems.Add($"CheckedInput is a check of {check.Path}, not of InputPath {InputPath}.");
        }

        BatchOptions.CheckDuration(problems, nameof(ShutdownGracePeriod), ShutdownGracePeriod, allowZero: true);

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}
