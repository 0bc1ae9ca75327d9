using LlmBatch.Input;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>What <c>prepare</c> and <c>run</c> (given items) say about the requests they wrote.</summary>
internal static class PreparePrinter
{
    /// <summary>One line saying what a conversion wrote.</summary>
    public static string Describe(BatchConversionReport report) =>
        $"Wrote {report.Items} requests to {report.OutputPath}" +
        (report.BlankLinesSkipped > 0 ? $" ({report.BlankLinesSkipped} blank lines skipped)" : "") +
        (report.MetadataPath is null ? "" : $"; other columns in {report.MetadataPath}");
}
