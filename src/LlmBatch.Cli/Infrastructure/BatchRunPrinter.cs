using System.Globalization;
using System.Text;
using LlmBatch.BatchApi;
using LlmBatch.Cost;
using LlmBatch.Reporting;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>What a person reads about a Batch API run: the plan before it, the summary after it.</summary>
internal static class BatchRunPrinter
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string FormatPlan(BatchPlan plan, BatchApiMode mode, long doneBefore)
    {
        var sb = new StringBuilder();
        var deadline = plan.DeadlineGiven ? "deadline " + BatchPlanner.Clock(plan.Deadline) : "no deadline (the batch window stands for one)";
        sb.AppendLine(C, $"Plan (--mode {mode.ToString().ToLowerInvariant()}, {deadline}):");
        sb.AppendLine(C, $"  requests        {plan.Requests:N0} left{(doneBefore > 0 ? $" ({doneBefore:N0} done by an earlier run)" : "")}");
        if (plan.PromptTokens > 0)
        {
            sb.AppendLine(C, $"  tokens          {plan.PromptTokens:N0} prompt, {plan.CompletionTokens:N0} completion at most (max_tokens)");
        }

        if (mode != BatchApiMode.Batch)
        {
            var limits = plan.Limits;
            var rates = limits.RequestsPerMinute is null && limits.TokensPerMinute is null
                ? "no limit known"
                : string.Join(", ", new[] { limits.RequestsPerMinute is { } r ? $"{r:N0} requests/min" : null, limits.TokensPerMinute is { } t ? $"{t:N0} tokens/min" : null }.Where(x => x is not null));
            sb.AppendLine(C, $"  online limits   {rates} ({limits.Source})");
            sb.AppendLine(C, $"  online          all in about {BatchPlanner.Clock(plan.OnlineTimeAll)}; cost {Money(plan.OnlineCostAll)}");
        }
        else if (plan.OnlineCostAll is not null)
        {
            sb.AppendLine(C, $"  online          cost {Money(plan.OnlineCostAll)} (for comparison)");
        }

        sb.AppendLine(C, $"  Batch API       turnaround up to {BatchPlanner.Clock(plan.BatchTurnaround)} (the completion window); cost {Money(plan.BatchCostAll)}");
        sb.AppendLine(C, $"  choice          {plan.Reason}");
        if (plan.Choice == BatchPlanChoice.Split)
        {
            sb.AppendLine(C, $"                  {plan.OnlineRequests:N0} online (about {BatchPlanner.Clock(plan.OnlineTime)}), {plan.BatchRequests:N0} through the Batch API");
        }

        sb.AppendLine(C, $"  planned cost    {Money(plan.PlannedCost)} (completion at its max_tokens: an upper bound; {PriceTable.BuiltIn.Source} unless --prices)");
        return sb.ToString();
    }

    public static string FormatSummary(BatchApiJobResult result, string outputPath, TimeSpan took)
    {
        var sb = new StringBuilder();
        var online = result.Online?.Summary;
        var succeeded = result.BatchSucceeded + (online?.Succeeded ?? 0);
        var failed = result.BatchFailed + (online?.Failed ?? 0);
        var earlier = result.Skipped > 0 ? string.Create(C, $"; {result.Skipped:N0} done by an earlier run") : "";
        sb.AppendLine(result.Interrupted
            ? string.Create(C, $"Stopped after {HtmlReportWriter.Duration(took.TotalSeconds)}: {succeeded:N0} succeeded, {failed:N0} failed this run{earlier}, {result.Remaining:N0} left")
            : string.Create(C, $"Done in {HtmlReportWriter.Duration(took.TotalSeconds)}: {succeeded:N0} succeeded, {failed:N0} failed this run{earlier}"));
        sb.AppendLine(C, $"  batches   {result.BatchSucceeded:N0} succeeded, {result.BatchFailed:N0} failed through the Batch API; {result.Chunks.Count(c => c.BatchId is not null):N0} batch file(s)");
        if (online is not null && online.Total > 0)
        {
            sb.AppendLine(C, $"  online    {online.Succeeded:N0} succeeded, {online.Failed:N0} failed ({online.Attempts:N0} attempts, {online.RateLimited:N0} answered 429)");
        }

        var running = result.Chunks.Where(c => c.Phase != "done" && c.BatchId is not null && c.Status is not (BatchApiStatus.Completed or BatchApiStatus.Failed or BatchApiStatus.Expired or BatchApiStatus.Cancelled)).ToList();
        if (result.Interrupted && running.Count > 0)
        {
            sb.AppendLine(C, $"  {running.Count:N0} batch(es) keep running on the provider ({string.Join(", ", running.Select(c => c.BatchId))}).");
            sb.AppendLine(C, $"  Rerun the same command to continue (nothing is uploaded twice), or `llmbatch batches cancel -o {outputPath}` to cancel them.");
        }
        else if (result.Interrupted)
        {
            sb.AppendLine("  Rerun the same command to continue.");
        }

        if (result.FailedInOutput > 0)
        {
            sb.AppendLine(C, $"  {result.FailedInOutput:N0} item(s) in the output failed permanently; `--retry-failed` sends them again (online).");
        }

        sb.AppendLine(C, $"  state     {result.StatePath}");
        sb.AppendLine(C, $"  output    {outputPath}");
        return sb.ToString();
    }

    public static string StoppingMessage(string outputPath) =>
        $"llmbatch: stopping: batches keep running on the provider; the same command resumes them (nothing is uploaded twice), `llmbatch batches cancel -o {outputPath}` cancels them.";

    private static string Money(decimal? cost) => cost is { } c ? "about " + HtmlReportWriter.Money(c) : "unknown (a model has no price)";
}
