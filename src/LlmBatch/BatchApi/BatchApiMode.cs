namespace LlmBatch.BatchApi;

/// <summary>How a <see cref="BatchApiJob"/> sends the file (the CLI's <c>--mode</c>).</summary>
public enum BatchApiMode
{
    /// <summary>Everything online through <see cref="BatchApiJobOptions.OnlineEngine"/>, as <see cref="BatchJob"/> does; the plan prices both modes.</summary>
    Online,

    /// <summary>Everything through the provider's Batch API: upload, create, poll, download, merge.</summary>
    Batch,

    /// <summary>
    /// The planner chooses: online what fits before the deadline at the online limits, the Batch API for the rest
    /// (see <see cref="BatchPlanner"/>).
    /// </summary>
    Auto,
}
