using LlmBatch.Cost;

namespace LlmBatch.Reporting;

/// <summary>What a run report needs beyond the output file. Every property is optional.</summary>
public sealed class RunReportOptions
{
    /// <summary>
    /// The summary the live engine built, or null (default). Its live-only figures (peak memory, intake paused time,
    /// limits in force, wall time) are carried into the report; everything else is recomputed from the results.
    /// </summary>
    public RunSummary? LiveSummary { get; set; }

    /// <summary>The request budget per minute to draw as the limit line, or null (default) for the live summary's, if any.</summary>
    public double? RequestsPerMinuteLimit { get; set; }

    /// <summary>The token budget per minute to draw as the limit line, or null (default) for the live summary's, if any.</summary>
    public double? TokensPerMinuteLimit { get; set; }

    /// <summary>Token prices for the cost section; null (default) for <see cref="PriceTable.BuiltIn"/>.</summary>
    public PriceTable? Prices { get; set; }

    /// <summary>The report's title; null (default) for the output file's name.</summary>
    public string? Title { get; set; }

    /// <summary>The clock that stamps the report's generation time (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>How many of the slowest items to list (default 20).</summary>
    public int SlowestCount { get; set; } = 20;

    /// <summary>
    /// Input files that were not processed, as (path, reason) pairs, for a run over documents; null (default) for a run
    /// over an item file. When set, <c>summary.json</c> counts them (<c>inputs.skipped</c>) and the page lists them.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>>? SkippedInputs { get; set; }

    /// <summary>How many failed items to list with their errors (default 100); the rest are counted.</summary>
    public int FailedCount { get; set; } = 100;

    /// <summary>
    /// Each worker of a job spread over several processes, as the owner last saw it; null (default) for a run in one
    /// process. When set, <c>summary.json</c> has <c>workers</c> and the page lists them.
    /// </summary>
    public IReadOnlyList<RunReportWorker>? Workers { get; set; }
}
