using System.Text;
using LlmBatch.Files;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch.Reporting;

/// <summary>
/// Builds a run's report from its results: <c>summary.json</c> (every figure, machine-readable; see docs/report.md)
/// and <c>report.html</c> (one self-contained page with charts that opens offline).
/// </summary>
public static class RunReport
{
    /// <summary>The file name of the machine-readable summary.</summary>
    public const string SummaryFileName = "summary.json";

    /// <summary>The file name of the HTML report.</summary>
    public const string HtmlFileName = "report.html";

    /// <summary>
    /// Builds the report of an output file (ours, also one left by a crashed or running job, or a provider's Batch API
    /// output) and writes both files into <paramref name="reportDirectory"/>.
    /// </summary>
    /// <param name="outputJsonlPath">The output file.</param>
    /// <param name="reportDirectory">The directory to write into; created when missing. Existing report files are replaced.</param>
    /// <param name="options">Live figures, limits, prices; null for the defaults.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The paths written and the summary.</returns>
    /// <exception cref="BatchInputException">A line of the file is not a valid output line.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">A report file would replace the output file itself (it is named <c>summary.json</c> or <c>report.html</c> in the report directory); nothing is written.</exception>
    public static Task<RunReportFiles> WriteAsync(
        string outputJsonlPath,
        string reportDirectory,
        RunReportOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputJsonlPath);
        ArgumentException.ThrowIfNullOrEmpty(reportDirectory);
        if (FindCollision(reportDirectory, [outputJsonlPath]) is { } collision)
        {
            throw new IOException(collision);
        }

        return WriteAsync(
            BatchOutputFile.ReadAsync(outputJsonlPath, withBodies: false, cancellationToken),
            reportDirectory,
            Path.GetFileName(outputJsonlPath),
            options,
            cancellationToken);
    }

    /// <summary>Builds the report of the results and writes both files into <paramref name="reportDirectory"/>.</summary>
    /// <param name="results">The run's results, in any order (for example read back from its output file).</param>
    /// <param name="reportDirectory">The directory to write into; created when missing. Existing report files are replaced.</param>
    /// <param name="sourceName">The name of the output file the results came from, shown in the report.</param>
    /// <param name="options">Live figures, limits, prices; null for the defaults.</param>
    /// <param name="cancellationToken">Stops reading the results.</param>
    /// <returns>The paths written and the summary.</returns>
    public static async Task<RunReportFiles> WriteAsync(
        IAsyncEnumerable<BatchResult> results,
        string reportDirectory,
        string sourceName,
        RunReportOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentException.ThrowIfNullOrEmpty(reportDirectory);
        ArgumentNullException.ThrowIfNull(sourceName);
        options ??= new RunReportOptions();
        var aggregator = new RunAggregator(options);
        await foreach (var result in results.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            aggregator.Add(result);
        }

        return await WriteFilesAsync(aggregator, reportDirectory, sourceName, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds the report of what <paramref name="aggregator"/> holds and writes both files.</summary>
    internal static async Task<RunReportFiles> WriteFilesAsync(RunAggregator aggregator, string reportDirectory, string sourceName, RunReportOptions options, CancellationToken cancellationToken)
    {
        var run = aggregator.Build();
        var figures = ReportFigures.From(run, sourceName, options.TimeProvider.GetUtcNow());
        Directory.CreateDirectory(reportDirectory);
        var summaryPath = Path.GetFullPath(Path.Combine(reportDirectory, SummaryFileName));
        var htmlPath = Path.GetFullPath(Path.Combine(reportDirectory, HtmlFileName));

        // Each through a temp file with a unique name, created exclusively and renamed over the target: a reader never
        // sees half a file, and a file or link planted under a predictable name is never opened or followed. Not forced
        // to disk: `llmbatch report` rebuilds both from the results, which are.
        await AtomicRewrite.CreateRebuildableAsync(summaryPath, (stream, _) =>
        {
            SummaryJsonWriter.Write(stream, figures);
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        var html = new UTF8Encoding(false).GetBytes(HtmlReportWriter.Render(run, figures, options.Title ?? sourceName));
        // Written synchronously, as summary.json is: a write to a local file that Linux has no asynchronous path for, which
        // the runtime would only hand to a thread-pool thread (and every caller up the chain with it).
        await AtomicRewrite.CreateRebuildableAsync(htmlPath, (stream, _) =>
        {
            stream.Write(html);
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        return new RunReportFiles(summaryPath, htmlPath, run.Summary);
    }

    /// <summary>
    /// Says why writing the report into <paramref name="reportDirectory"/> would replace one of <paramref name="keep"/>
    /// (the results, the input: files named <c>summary.json</c> or <c>report.html</c> there, under any spelling), or
    /// null when it would not. Callers check before a run, so that a report never costs the results.
    /// </summary>
    /// <param name="reportDirectory">Where the report would go.</param>
    /// <param name="keep">Files the report must not replace.</param>
    /// <returns>The reason, naming the file, or null.</returns>
    public static string? FindCollision(string reportDirectory, IEnumerable<string> keep)
    {
        ArgumentException.ThrowIfNullOrEmpty(reportDirectory);
        ArgumentNullException.ThrowIfNull(keep);
        foreach (var name in (ReadOnlySpan<string>)[SummaryFileName, HtmlFileName])
        {
            var target = Path.Combine(reportDirectory, name);
            foreach (var file in keep)
            {
                if (!string.IsNullOrEmpty(file) && FileIdentity.SameFile(target, file))
                {
                    return $"the report's {name} would replace {file}";
                }
            }
        }

        return null;
    }
}
