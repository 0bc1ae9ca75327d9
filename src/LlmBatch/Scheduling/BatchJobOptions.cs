using LlmBatch.BatchApi;
using LlmBatch.Files;
using LlmBatch.Input;
using LlmBatch.Output;

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

    /// <summary>
    /// Sends only the requests this returns true for (default null: all); the others are left to another runner, such
    /// as the Batch API part of a <see cref="BatchApiJob"/>, and counted in <see cref="BatchJobResult.Excluded"/>.
    /// </summary>
    public Func<BatchRequest, bool>? Include { get; set; }

    /// <summary>The clock for the grace period (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Told of each result this run writes, as it is queued for the output file: on one thread at a time, in the order
    /// the lines are written. Lets a caller summarise the run (as the command line's report does) without reading the
    /// output back; the lines of earlier runs are those before <see cref="BatchJobResult.OutputStartOffset"/>.
    /// Default none. It must not block: the output's writer waits for it.
    /// </summary>
    public Action<BatchResult>? Written { get; set; }

    /// <summary>The checks of a file-to-file job's input, output and earlier input check, shared by the job kinds.</summary>
    internal static void ValidateFiles(List<string> problems, string inputPath, string outputPath, BatchValidationReport? checkedInput)
    {
        if (string.IsNullOrWhiteSpace(inputPath))
        {
            problems.Add("InputPath is required.");
        }

        if (string.IsNullOrWhiteSpace(outputPath))
        {
            problems.Add("OutputPath is required.");
        }
        else if (!string.IsNullOrWhiteSpace(inputPath) && FileIdentity.SameFile(inputPath, outputPath))
        {
            // Any spelling counts: another case on a case-insensitive disk, a link, a second hard link.
            problems.Add($"OutputPath {outputPath} is the input file {inputPath} (under another name); results would be appended to the requests.");
        }

        if (checkedInput is { } check && !string.IsNullOrWhiteSpace(inputPath) && !FileIdentity.SameFile(check.Path, inputPath))
        {
            problems.Add($"CheckedInput is a check of {check.Path}, not of InputPath {inputPath}.");
        }
    }

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        ValidateFiles(problems, InputPath, OutputPath, CheckedInput);

        BatchOptions.CheckDuration(problems, nameof(ShutdownGracePeriod), ShutdownGracePeriod, allowZero: true);

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}
