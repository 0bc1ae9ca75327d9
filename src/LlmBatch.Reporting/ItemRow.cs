namespace LlmBatch.Reporting;

/// <summary>One item as listed in the report's tables of slowest and failed items.</summary>
internal sealed record ItemRow(
    string CustomId,
    long Line,
    string Model,
    int StatusCode,
    IReadOnlyList<int> Statuses,
    double LatencyMs,
    double TotalMs,
    string? ErrorCode,
    string? ErrorMessage);
