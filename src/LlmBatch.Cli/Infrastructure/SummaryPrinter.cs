using System.Globalization;
using System.Text;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>The end-of-run summary a person reads: outcomes, retries, 429s, tokens, throughput, latency.</summary>
internal static class SummaryPrinter
{
    public static void Print(BatchJobResult result, string outputPath, TextWriter? writer = null)
    {
        writer ??= Console.Out;
        writer.Write(Format(result, outputPath));
    }

    public static string Format(BatchJobResult result, string outputPath)
    {
        var s = result.Summary;
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var state = result.Interrupted ? $"Stopped with {result.Remaining:N0} item(s) left (rerun the same command to resume)" : "Done";
        sb.Append(c, $"{state} in {s.WallTime.TotalSeconds:0.0} s: {s.Total:N0} item(s) this run, {s.Succeeded:N0} succeeded, {s.Failed:N0} failed");
        if (result.Skipped > 0)
        {
            sb.Append(c, $"; {result.Skipped:N0} already done");
        }

        sb.AppendLine();
        if (result.RepairedBytes > 0 || result.Requeued > 0)
        {
            sb.AppendLine(c, $"  resume    repaired a torn last line ({result.RepairedBytes:N0} bytes), re-sent {result.Requeued:N0} earlier failure(s)");
        }

        sb.AppendLine(c, $"  attempts  {s.Attempts:N0} ({s.Retries:N0} retries), {s.RateLimited:N0} answered 429");
        sb.AppendLine(c, $"  tokens    {s.PromptTokens:N0} in, {s.CompletionTokens:N0} out");
        sb.AppendLine(c, $"  rate      {s.RequestsPerSecond:0.0} requests/s, {s.TokensPerSecond:N0} tokens/s{Limits(s)}");
        if (s.Total > 0)
        {
            sb.AppendLine(c, $"  latency   p50 {s.LatencyP50Ms:0} ms, p95 {s.LatencyP95Ms:0} ms, p99 {s.LatencyP99Ms:0} ms, max {s.LatencyMaxMs:0} ms");
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

    private static string Limits(RunSummary s)
    {
        var parts = new List<string>(2);
        if (s.RequestsPerMinuteLimit is { } rpm)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{rpm:N0} rpm"));
        }

        if (s.TokensPerMinuteLimit is { } tpm)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{tpm:N0} tpm"));
        }

        return parts.Count == 0 ? "" : " (limit " + string.Join(", ", parts) + ")";
    }
}
