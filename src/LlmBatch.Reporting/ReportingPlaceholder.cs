namespace LlmBatch.Reporting;

internal static class ReportingPlaceholder;
