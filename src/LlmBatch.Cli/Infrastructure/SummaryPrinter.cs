using System.Globalization;
using System.Text;
using LlmBatch.Cli.Progress;
using LlmBatch.Reporting;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>The end-of-run summary a person reads: outcomes, retries, 429s, tokens, throughput, latency.</summary>
internal static class SummaryPrinter
{
    public static void Print(BatchJobResult result, string outputPath, TextWriter? writer = null, BatchProgress? live = null)
    {
        writer ??= Console.Out;
        writer.Write(Format(result, outputPath, live));
    }

    public static string Format(BatchJobResult result, string outputPath, BatchProgress? live = null)
    {
        var s = result.Summary;
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var took = HtmlReportWriter.Duration(s.WallTime.TotalSeconds);
        var earlier = result.Skipped > 0 ? string.Create(c, $"{result.Skipped:N0} done by an earlier run") : null;
        if (result.Interrupted)
        {
            sb.Append(c, $"Stopped after {took}: {s.Total:N0} item(s) finished this run ({s.Succeeded:N0} succeeded, {s.Failed:N0} failed), ");
            sb.Append(c, $"{(earlier is null ? "" : earlier + ", ")}{result.Remaining:N0} left; rerun the same command to resume");
        }
        else
        {
            sb.Append(c, $"Done in {took}: {s.Total:N0} item(s) this run, {s.Succeeded:N0} succeeded, {s.Failed:N0} failed{(earlier is null ? "" : "; " + earlier)}");
        }

        sb.AppendLine();
        if (result.RepairedBytes > 0 || result.Requeued > 0)
        {
            sb.AppendLine(c, $"  resume    repaired a torn last line ({result.RepairedBytes:N0} bytes), re-sent {result.Requeued:N0} earlier failure(s)");
        }

        sb.AppendLine(c, $"  attempts  {s.Attempts:N0} ({s.Retries:N0} retries), {s.RateLimited:N0} answered 429");
        sb.AppendLine(c, $"  tokens    {s.PromptTokens:N0} in, {s.CompletionTokens:N0} out");
        if (live?.Cost is { } cost)
        {
            sb.Append(c, $"  cost      {Cost.RunCosts.Money(cost.Spent)} spent (reported usage at list prices)");
            if (cost.MaxCost is { } cap)
            {
                sb.Append(c, $", cap {Cost.RunCosts.Money(cap)}");
            }

            if (cost.UnpricedAnswers > 0)
            {
                sb.Append(c, $", {cost.UnpricedAnswers:N0} answer(s) not priced (no price or no usage)");
            }

            sb.AppendLine();
        }

        if (s.CachedItems + s.SharedItems > 0)
        {
            sb.AppendLine(c, $"  reused    {s.CachedItems:N0} answered from the cache, {s.SharedItems:N0} shared with an identical request: no request sent for them");
        }

        // Per minute, the unit providers state their limits in, so the rate reads against the limit.
        sb.AppendLine(c, $"  rate      {s.RequestsPerSecond * 60:N0} requests/min{ProgressSnapshot.Limit(s.RequestsPerMinuteLimit)}, {s.TokensPerSecond * 60:N0} tokens/min{ProgressSnapshot.Limit(s.TokensPerMinuteLimit)}");
        if (s.ConcurrencyLimit is { } limit)
        {
            var most = 0;
            foreach (var point in s.ConcurrencyTimeline)
            {
                most = Math.Max(most, point.InFlight);
            }

            sb.AppendLine(c, $"  in flight {(s.ConcurrencyAdapted == true ? "adaptive" : "fixed")} limit {limit:N0} at the end, at most {most:N0} on the wire");
        }

        if (s.Total > 0)
        {
            sb.AppendLine(c, $"  latency   p50 {Ms(s.LatencyP50Ms)}, p95 {Ms(s.LatencyP95Ms)}, p99 {Ms(s.LatencyP99Ms)}, max {Ms(s.LatencyMaxMs)}");
        }

        foreach (var e in live?.Endpoints ?? [])
        {
            // Each endpoint's share: its answers, failures and rate over the run, and its state at the end.
            var rate = s.WallTime.TotalMinutes > 0 ? e.Attempts / s.WallTime.TotalMinutes : 0;
            sb.AppendLine(c, $"  endpoint  {e.Name}: {e.Succeeded:N0} answered of {e.Attempts:N0} attempts, {e.Failed:N0} failed, {e.RateLimited:N0} answered 429, {rate:N0} requests/min{ProgressSnapshot.Limit(e.RequestsPerMinuteLimit)}{(e.TimesOut > 0 ? string.Create(c, $", taken out {e.TimesOut:N0} time(s)") : "")}{EndpointsText.State(e)}");
        }

        if (s.PeakMemoryBytes is { } peak)
        {
            sb.Append(c, $"  memory    peak {ProgressSnapshot.Megabytes(peak)}");
            if (s.IntakePausedTime is { } paused)
            {
                sb.Append(c, $", intake paused {HtmlReportWriter.Duration(paused.TotalSeconds)} to stay under --max-memory");
            }

            sb.AppendLine();
        }

        if (s.FailedByCode.Count > 0)
        {
            sb.Append("  failed   ");
            var first = true;
            foreach (var (code, n) in s.FailedByCode.OrderByDescending(p => p.Value))
            {
                sb.Append(first ? " " : ", ").Append(c, $"{code} {n:N0}");
                first = false;
            }

            sb.AppendLine();
        }

        if (result.FailedInOutput > 0)
        {
            sb.AppendLine(c, $"  {result.FailedInOutput:N0} item(s) in the output failed permanently; `--retry-failed` sends them again.");
        }

        sb.AppendLine(c, $"  output    {outputPath}");
        return sb.ToString();
    }

    private static string Ms(double ms) => HtmlReportWriter.Ms(ms);
}
