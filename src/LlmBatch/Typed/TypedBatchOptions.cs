namespace LlmBatch.Typed;

/// <summary>
/// How a <see cref="TypedBatchRunner"/> checkpoints, resumes and stops. Limits, retries and timeouts are the engine's
/// (<see cref="BatchOptions"/>), exactly as on the command line.
/// </summary>
public sealed class TypedBatchOptions
{
    /// <summary>
    /// The output file of Batch API result lines, which is also the checkpoint (default null: no file, nothing resumes).
    /// An existing file is resumed, never overwritten: items whose id already has a final line there are not sent again
    /// and yield no result in this run. The file has the command line's format, so <c>llmbatch merge</c>, <c>report</c>
    /// and friends read it.
    /// </summary>
    public string? OutputPath { get; set; }

    /// <summary>Send again the items whose earlier result in <see cref="OutputPath"/> was a permanent failure (default false).</summary>
    public bool RetryFailed { get; set; }

    /// <summary>After the run's token is cancelled, how long requests in flight may still finish and be yielded (default 10 s).</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The chat model of items whose <c>ChatOptions.ModelId</c> is null (default null: each item must name one).</summary>
    public string? ChatModel { get; set; }

    /// <summary>The embedding model of items whose <c>EmbeddingGenerationOptions.ModelId</c> is null (default null: each item must name one).</summary>
    public string? EmbeddingModel { get; set; }

    /// <summary>
    /// Called once per run, after <see cref="OutputPath"/> has been read and before anything is sent, with how many
    /// items it already holds a final line for (this run skips them). Default none.
    /// </summary>
    public Action<long>? Resumed { get; set; }

    /// <summary>The clock for the grace period (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (OutputPath is not null && string.IsNullOrWhiteSpace(OutputPath))
        {
            problems.Add("OutputPath must be null (no checkpoint) or a file path.");
        }

        BatchOptions.CheckDuration(problems, nameof(ShutdownGracePeriod), ShutdownGracePeriod, allowZero: true);
        if (TimeProvider is null)
        {
            problems.Add("TimeProvider is required.");
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}
