namespace LlmBatch.Reporting;

/// <summary>The files a run report wrote, and the summary it computed.</summary>
/// <param name="SummaryJsonPath">The full path of <c>summary.json</c>.</param>
/// <param name="HtmlPath">The full path of <c>report.html</c>.</param>
/// <param name="Summary">The figures written.</param>
public sealed record RunReportFiles(string SummaryJsonPath, string HtmlPath, RunSummary Summary);
