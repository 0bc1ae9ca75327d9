namespace LlmBatch.Reporting;

/// <summary>
/// Orders the report's slowest items for its min-heap: by latency, and on a tie the item later in the file first, so
/// that it is the one given up and the kept rows do not depend on the order the results were added in.
/// </summary>
internal sealed class SlowerLater : IComparer<(double LatencyMs, long Order)>
{
    public static readonly SlowerLater Instance = new();

    public int Compare((double LatencyMs, long Order) x, (double LatencyMs, long Order) y)
    {
        var byLatency = x.LatencyMs.CompareTo(y.LatencyMs);
        return byLatency != 0 ? byLatency : y.Order.CompareTo(x.Order);
    }
}
