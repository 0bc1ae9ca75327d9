namespace LlmBatch.Cli.Progress;

/// <summary>
/// What the run has to do: the input's item count (known before the run) and how many of them an earlier run already
/// finished (known once the job has read the output, set from <see cref="BatchJobOptions.Resumed"/>).
/// </summary>
internal sealed class ProgressTotals
{
    private long _resumed;

    /// <summary>Items in the input, when known.</summary>
    public long? Items { get; init; }

    /// <summary>Items the output already held when this run started; counted as done.</summary>
    public long Resumed
    {
        get => Volatile.Read(ref _resumed);
        set => Volatile.Write(ref _resumed, value);
    }
}
