namespace LlmBatch;

/// <summary>
/// The run made no progress (no successful answer, no item finished) for <see cref="BatchOptions.StallTimeout"/>
/// while the server kept refusing or delaying: an exhausted daily quota, a server that answers only 503. The run was
/// stopped; the items not yet answered have no output line, so a rerun sends them.
/// </summary>
public sealed class BatchStalledException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="stalledFor">How long the run went without progress.</param>
    /// <param name="lastStatus">The status of the last answer seen (0 when none came at all).</param>
    public BatchStalledException(TimeSpan stalledFor, int lastStatus)
        : this(stalledFor, lastStatus, $"the server kept refusing requests{(lastStatus == 0 ? " or did not answer" : $" (last answer HTTP {lastStatus})")}")
    {
    }

    /// <summary>Creates the exception with its cause in words ("the shared rate budget could not be reached").</summary>
    internal BatchStalledException(TimeSpan stalledFor, int lastStatus, string cause)
        : base($"No progress for {Describe(stalledFor)}: {cause}. "
            + "The run stopped; the items not yet answered have no output line, so running the same command again sends them.")
    {
        StalledFor = stalledFor;
        LastStatus = lastStatus;
    }

    /// <summary>How long the run went without progress.</summary>
    public TimeSpan StalledFor { get; }

    /// <summary>The status of the last answer seen, 0 when none came.</summary>
    public int LastStatus { get; }

    private static string Describe(TimeSpan span) =>
        span >= TimeSpan.FromMinutes(1) ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0.#} s";
}
