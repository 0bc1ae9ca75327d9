using System.Globalization;
using LlmBatch.BatchApi;

namespace LlmBatch.Cli.Progress;

/// <summary>The words and figures both batch progress displays show, so the live panel and the plain lines agree.</summary>
internal static class BatchProgressText
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Items with a final line: earlier runs', this run's batch lines, and the online part's.</summary>
    public static long Done(BatchApiProgress p) => p.Resumed + p.Succeeded + p.Failed + (p.Online?.Completed ?? 0);

    public static string Overall(BatchApiProgress p)
    {
        var done = Done(p);
        var share = p.Total > 0 ? 100.0 * done / p.Total : 0;
        return string.Create(C, $"{done:N0}/{p.Total:N0} ({share:0.0}%) ok {p.Succeeded + (p.Online?.Succeeded ?? 0):N0} failed {p.Failed + (p.Online?.Failed ?? 0):N0}");
    }

    public static string Chunk(BatchApiChunkProgress c)
    {
        var status = c.BatchId is null ? c.Phase : BatchStatusMap.Wire(c.Status);
        var counts = c.BatchId is null ? string.Create(C, $"{c.Requests:N0} requests") : string.Create(C, $"{c.Completed:N0}/{c.Requests:N0} ok, {c.Failed:N0} failed");
        var eta = c.Eta is { } e ? " ETA " + ProgressSnapshot.Clock(e) : "";
        return string.Create(C, $"#{c.Index} {c.BatchId ?? "(no batch yet)"} {status} {counts}{eta}");
    }

    public static string Online(BatchProgress o) =>
        string.Create(C, $"online: {o.Completed:N0} done ({o.Succeeded:N0} ok, {o.Failed:N0} failed), {o.InFlight:N0} in flight, {o.RateLimited:N0} answered 429");

    public static string Eta(BatchApiProgress p) => p.Eta is { } eta ? "ETA " + ProgressSnapshot.Clock(eta) : "ETA —";
}
