using System.Globalization;
using System.Text;
using System.Text.Json;
using LlmBatch.Cost;

namespace LlmBatch.Cli.Cost;

/// <summary>Writes a <see cref="BatchEstimate"/> as the table <c>validate</c> and <c>run --dry-run</c> print, or as JSON.</summary>
internal static class EstimatePrinter
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private static readonly string[] Header = ["model", "requests", "prompt tokens", "completion budget", "expected completion", "online", "batch API"];

    public static string Format(BatchEstimate estimate)
    {
        var rows = new List<string[]> { Header };
        foreach (var m in estimate.Models)
        {
            var ratio = string.Create(C, $"{m.CompletionRatio * 100:0} %, ") + (m.RatioObservedOn > 0 ? string.Create(C, $"seen on {m.RatioObservedOn:N0}") : "default");
            rows.Add([m.Model, N(m.Requests), N(m.PromptTokens), N(m.CompletionBudget), $"{N(m.ExpectedCompletion)} ({ratio})", Cost(m.OnlineCost), Cost(m.BatchCost)]);
        }

        rows.Add(["total", N(estimate.ToSend), N(estimate.PromptTokens), N(estimate.CompletionBudget), N(estimate.ExpectedCompletion), Cost(estimate.OnlineCost), Cost(estimate.BatchCost)]);
        var widths = new int[rows[0].Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        var sb = new StringBuilder();
        sb.Append("estimate (prices: ").Append(estimate.PriceSource).AppendLine(")");
        foreach (var row in rows)
        {
            sb.Append("  ");
            for (var i = 0; i < row.Length; i++)
            {
                sb.Append(i == 0 ? row[i].PadRight(widths[i]) : row[i].PadLeft(widths[i] + 2));
            }

            sb.AppendLine();
        }

        sb.Append("  online at most (every completion budget used): ").AppendLine(Cost(estimate.OnlineMaxCost));
        var unpriced = estimate.UnpricedModels.ToList();
        if (unpriced.Count > 0)
        {
            sb.Append("  no price for ").Append(string.Join(", ", unpriced)).AppendLine(": cost unknown and not in the totals; give prices with --prices FILE");
        }

        return sb.ToString();
    }

    /// <summary>The plan line of <c>run --dry-run</c>: what the file holds and what would be sent.</summary>
    public static string Plan(BatchEstimate estimate, string outputPath) =>
        string.Create(C, $"plan: {estimate.Requests:N0} request(s) in the file; {estimate.AlreadyDone:N0} already answered in {outputPath}; {estimate.Repeats:N0} repeat(s) sharing an identical request's answer; {estimate.CacheHits:N0} answered from the cache; {estimate.ToSend:N0} to send. Nothing was sent.");

    public static void WriteJson(Utf8JsonWriter w, BatchEstimate estimate)
    {
        w.WriteStartObject();
        w.WriteString("price_source", estimate.PriceSource);
        w.WriteNumber("requests", estimate.Requests);
        w.WriteNumber("already_done", estimate.AlreadyDone);
        w.WriteNumber("repeats", estimate.Repeats);
        w.WriteNumber("cache_hits", estimate.CacheHits);
        w.WriteNumber("to_send", estimate.ToSend);
        w.WriteNumber("prompt_tokens", estimate.PromptTokens);
        w.WriteNumber("completion_budget", estimate.CompletionBudget);
        w.WriteNumber("expected_completion", estimate.ExpectedCompletion);
        WriteCost(w, "online_cost", estimate.OnlineCost);
        WriteCost(w, "online_max_cost", estimate.OnlineMaxCost);
        WriteCost(w, "batch_cost", estimate.BatchCost);
        w.WriteStartObject("models");
        foreach (var m in estimate.Models)
        {
            w.WriteStartObject(m.Model);
            w.WriteNumber("requests", m.Requests);
            w.WriteNumber("prompt_tokens", m.PromptTokens);
            w.WriteNumber("completion_budget", m.CompletionBudget);
            w.WriteNumber("expected_completion", m.ExpectedCompletion);
            w.WriteNumber("completion_ratio", Math.Round(m.CompletionRatio, 4));
            w.WriteNumber("ratio_observed_on", m.RatioObservedOn);
            WriteCost(w, "online_cost", m.OnlineCost);
            WriteCost(w, "online_max_cost", m.OnlineMaxCost);
            WriteCost(w, "batch_cost", m.BatchCost);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteCost(Utf8JsonWriter w, string name, decimal? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, Math.Round(v, 6));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static string N(long n) => n.ToString("N0", C);

    private static string Cost(decimal? usd) => usd is { } v ? RunCosts.Money(v) : "unknown";
}
