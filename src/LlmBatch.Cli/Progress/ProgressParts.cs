namespace LlmBatch.Cli.Progress;

/// <summary>
/// The figures of each part of a run (each endpoint of <c>--endpoints</c>, each worker of a Redis job), one text per
/// part, shown below the run's own: as cells of the live panel and as one <c>| label: a; b</c> group of the plain line.
/// </summary>
internal sealed record ProgressParts(string Label, IReadOnlyList<string> Cells)
{
    /// <summary>No parts: nothing is shown.</summary>
    public static readonly ProgressParts None = new("", []);

    /// <summary>" | label: a; b" for the plain progress line, "" without parts.</summary>
    public string Plain() => Cells.Count == 0 ? "" : " | " + Label + ": " + string.Join("; ", Cells);
}
