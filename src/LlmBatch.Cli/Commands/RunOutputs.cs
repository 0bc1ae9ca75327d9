using LlmBatch.Cli.Infrastructure;
using LlmBatch.Cost;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Reporting;
using LlmBatch.Results;

namespace LlmBatch.Cli.Commands;

/// <summary>What <c>llmbatch run</c> writes besides the results: summary.json and report.html, and the merged files of <c>--merge</c>.</summary>
internal static class RunOutputs
{
    /// <summary>
    /// The report goes beside the output by default: one named summary.json or report.html there (the output, the
    /// input or the prepared requests) would be replaced by it, after the run had paid for every result. Refused up front.
    /// </summary>
    internal static void CheckTargets(RunSettings settings)
    {
        if (settings.Merge)
        {
            ResultsMerge.CheckTargets(ResultsMerge.DefaultPrefix(settings.OutputPath), settings.OutputPath, settings.Input);
        }

        if (settings.NoReport)
        {
            return;
        }

        var directory = settings.ReportDir ?? Path.GetDirectoryName(Path.GetFullPath(settings.OutputPath))!;
        List<string> keep = [settings.OutputPath, settings.Input];
        if (settings.NeedsPreparing)
        {
            keep.Add(settings.PreparedRequestsPath);
            keep.Add(BatchInputConverter.MetadataPathFor(settings.PreparedRequestsPath));
        }

        if (RunReport.FindCollision(directory, keep) is { } collision)
        {
            throw new BatchOptionsException([$"{collision}; give --report-dir, --no-report or another --output."]);
        }
    }

    /// <summary>
    /// The report of a run whose job tells it each result as it is written (<see cref="BatchJobOptions.Written"/>), so
    /// that only earlier runs' lines are read back at the end; null with --no-report, and with --preserve-order, whose
    /// final sort leaves no offset between earlier lines and this run's (the report then reads the whole file).
    /// </summary>
    internal static RunReportCollector? StartReport(RunSettings settings, PriceTable? prices) =>
        settings.NoReport || settings.PreserveOrder ? null : new RunReportCollector(new RunReportOptions { Prices = prices });

    /// <summary>
    /// Writes summary.json and report.html unless --no-report; <paramref name="live"/> adds what only the live run knew.
    /// With <paramref name="collected"/> (from <see cref="StartReport"/>), this run's results are those it was told and
    /// only the lines before the offset are read. A report that cannot be written is said and left: the results are
    /// complete, and `llmbatch report` rebuilds it.
    /// </summary>
    internal static async Task WriteReportAsync(
        RunSettings settings, RunSummary? live, PriceTable? prices, IReadOnlyList<KeyValuePair<string, string>>? skippedInputs = null,
        IReadOnlyList<RunReportWorker>? workers = null, (RunReportCollector Collector, long From)? collected = null)
    {
        if (settings.NoReport)
        {
            return;
        }

        var directory = settings.ReportDir ?? Path.GetDirectoryName(Path.GetFullPath(settings.OutputPath))!;
        try
        {
            RunReportFiles files;
            if (collected is var (collector, from))
            {
                collector.Options.LiveSummary = live;
                collector.Options.SkippedInputs = skippedInputs;
                collector.Options.Workers = workers;
                files = await collector.WriteAsync(settings.OutputPath, from, directory, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                files = await RunReport.WriteAsync(settings.OutputPath, directory, new RunReportOptions { LiveSummary = live, Prices = prices, SkippedInputs = skippedInputs, Workers = workers }, CancellationToken.None).ConfigureAwait(false);
            }

            if (!settings.Quiet)
            {
                Console.Error.WriteLine($"llmbatch: report {files.HtmlPath}, figures {files.SummaryJsonPath}");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CliApp.Error($"the report could not be written ({ex.Message}); `llmbatch report {settings.OutputPath}` rebuilds it.");
        }
    }

    /// <summary>With --merge, merges the finished output as `llmbatch merge` does (documents: one row per chunk); returns how many items failed.</summary>
    internal static Task<long> MergeAsync(RunSettings settings, string input) =>
        settings.Merge ? MergeFinishedAsync(settings, input) : Task.FromResult(0L);

    // Apart from MergeAsync so that a run without --merge compiles no state machine for it at start-up.
    private static async Task<long> MergeFinishedAsync(RunSettings settings, string input)
    {
        try
        {
            if (settings.IsDocuments)
            {
                return await ResultsMerge.MergeDocumentsAsync(settings.OutputPath, Documents.DocumentManifest.PathFor(settings.OutputPath), ResultsMerge.DefaultPrefix(settings.OutputPath), settings.Parquet, documentVectors: false, settings.Quiet ? TextWriter.Null : Console.Out, CancellationToken.None).ConfigureAwait(false);
            }

            var metadata = BatchInputConverter.MetadataPathFor(input);
            var mergeOptions = new BatchMergeOptions
            {
                OutputPrefix = ResultsMerge.DefaultPrefix(settings.OutputPath),
                MetadataPath = File.Exists(metadata) ? metadata : null,
            };
            var merged = await ResultsMerge.MergeAndPrintAsync(BatchOutputFile.ReadAsync(settings.OutputPath, CancellationToken.None), mergeOptions, settings.Parquet, settings.Quiet ? TextWriter.Null : Console.Out, CancellationToken.None).ConfigureAwait(false);
            return merged.Failed;
        }
        catch (IOException ex)
        {
            throw new RunInterruptedException($"merging the results failed: {ex.Message.TrimEnd('.')}. The results are complete in {settings.OutputPath}; the same command merges them again without sending anything.", ex);
        }
    }
}
