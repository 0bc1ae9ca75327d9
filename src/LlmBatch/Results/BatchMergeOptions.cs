using LlmBatch.Input;

namespace LlmBatch.Results;

/// <summary>How <see cref="BatchResultsMerger"/> merges a results file. Every property states its default.</summary>
public sealed class BatchMergeOptions
{
    /// <summary>
    /// The path every output file starts with (no default: it must be set), for example <c>out/results</c> gives
    /// <c>out/results.merged.jsonl</c>, <c>out/results.npy</c> and <c>out/results.ids.txt</c>, <c>out/results.classes.csv</c>.
    /// Null writes nothing and only computes the report.
    /// </summary>
    public string? OutputPrefix { get; set; }

    /// <summary>What the results hold (default <see cref="BatchMergeKind.Auto"/>).</summary>
    public BatchMergeKind Kind { get; set; } = BatchMergeKind.Auto;

    /// <summary>The format of the merged text table (default <see cref="TextTableFormat.Jsonl"/>).</summary>
    public TextTableFormat TextFormat { get; set; } = TextTableFormat.Jsonl;

    /// <summary>
    /// The metadata file written by <see cref="BatchInputConverter.ConvertFileAsync"/>, or null (default) for none.
    /// When set, rows come out in its order (the input order) and carry its columns.
    /// </summary>
    public string? MetadataPath { get; set; }

    /// <summary>The labels, for <see cref="BatchMergeKind.Classification"/>; required there, ignored otherwise.</summary>
    public IReadOnlyList<string>? Labels { get; set; }

    /// <summary>The metadata column holding each item's true label, or null (default) when there is none.</summary>
    public string? GoldColumn { get; set; }

    /// <summary>How many of the least confident classifications to list (default 10).</summary>
    public int LeastConfidentCount { get; set; } = 10;

    /// <summary>
    /// Where the merge puts its temporary sort runs, or null (default) for the system's temporary directory. The
    /// merge holds a bounded buffer in memory and spills the rest there, about as many bytes as the merged output,
    /// in a subdirectory of its own that it removes when done.
    /// </summary>
    public string? TempDirectory { get; set; }

    /// <summary>The bytes of rows a sort holds in memory before it spills a run to disk (32 MB).</summary>
    internal long SortBufferBytes { get; set; } = 32L << 20;

    /// <summary>The most runs merged at once; more are first merged in groups, to bound the open files (64).</summary>
    internal int SortFanIn { get; set; } = 64;

    /// <summary>An extra output for the merged kind (the CLI's Parquet writers), or null for none.</summary>
    internal Func<BatchMergeKind, IMergedRowSink?>? ExtraOutput { get; set; }

    /// <summary>Checks every option and throws one exception listing every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (OutputPrefix is not null && OutputPrefix.Trim().Length == 0)
        {
            problems.Add("OutputPrefix must be null or a path.");
        }

        if (Kind == BatchMergeKind.Classification && (Labels is null || Labels.Count < 2))
        {
            problems.Add("Classification needs at least two Labels.");
        }

        if (MetadataPath is not null && !File.Exists(MetadataPath))
        {
            problems.Add($"MetadataPath \"{MetadataPath}\" does not exist.");
        }

        if (TempDirectory is not null && !Directory.Exists(TempDirectory))
        {
            problems.Add($"TempDirectory \"{TempDirectory}\" does not exist.");
        }

        if (GoldColumn is not null && MetadataPath is null)
        {
            problems.Add("GoldColumn needs MetadataPath: gold labels come from the metadata file.");
        }

        if (LeastConfidentCount is < 0 or > 100_000)
        {
            problems.Add($"LeastConfidentCount must be between 0 and 100000 (was {LeastConfidentCount}).");
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}
