using System.Globalization;

namespace LlmBatch.Reporting;

/// <summary>The list of every figure of a report, in the order <c>summary.json</c> writes them (docs/report.md).</summary>
internal static class ReportFigures
{
    public const string Schema = "llmbatch.summary/1";

    /// <summary>Marks a group with no figures, written as <c>{}</c> so every group is always present.</summary>
    public static readonly object EmptyGroup = new();

    public static List<ReportFigure> From(RunAggregate run, string source, DateTimeOffset generatedAt)
    {
        var s = run.Summary;
        var figures = new List<ReportFigure>(64);
        void Add(object? value, params string[] path) => figures.Add(new ReportFigure(path, value));

        Add(Schema, "schema");
        Add(source, "source");
        Add(Timestamp(generatedAt), "generated_at");
        Add(s.StartedAt is { } st ? Timestamp(st) : null, "started_at");
        Add(s.FinishedAt is { } fi ? Timestamp(fi) : null, "finished_at");
        Add(Round(s.WallTime.TotalSeconds), "wall_time_s");

        Add(s.Total, "items", "total");
        Add(s.Succeeded, "items", "succeeded");
        Add(s.Failed, "items", "failed");
        Add(s.Total == 0 ? 0d : Round(100.0 * s.Succeeded / s.Total), "items", "success_percent");
        Add(s.CachedItems, "items", "cached");
        Add(s.SharedItems, "items", "shared");
        if (s.FailedByCode.Count == 0)
        {
            Add(EmptyGroup, "failed_by_code");
        }

        foreach (var code in ReportOrder.ByCountDescending(s.FailedByCode, codeOnTies: true))
        {
            Add(s.FailedByCode[code], "failed_by_code", code);
        }

        if (run.SkippedInputs is { } skipped)
        {
            Add((long)skipped.Count, "inputs", "skipped");
        }

        Add(s.Attempts, "requests", "attempts");
        Add(s.Retries, "requests", "retries");
        Add(s.RateLimited, "requests", "rate_limited");
        if (s.StatusCounts.Count == 0)
        {
            Add(EmptyGroup, "status_counts");
        }

        foreach (var status in ReportOrder.Ascending(s.StatusCounts))
        {
            Add(s.StatusCounts[status], "status_counts", status.ToString(CultureInfo.InvariantCulture));
        }

        Add(s.PromptTokens, "tokens", "prompt");
        Add(s.CompletionTokens, "tokens", "completion");
        Add(s.TotalTokens, "tokens", "total");
        Add(s.UsageReportedItems, "tokens", "usage_reported_items");

        Add(Round(s.ItemsPerSecond), "throughput", "items_per_s");
        Add(Round(s.RequestsPerSecond), "throughput", "requests_per_s");
        Add(Round(s.TokensPerSecond), "throughput", "tokens_per_s");
        Add(Round(s.RequestsPerSecond * 60), "throughput", "requests_per_min");
        Add(Round(s.TokensPerSecond * 60), "throughput", "tokens_per_min");

        Add(Round(s.LatencyP50Ms), "latency_ms", "p50");
        Add(Round(s.LatencyP95Ms), "latency_ms", "p95");
        Add(Round(s.LatencyP99Ms), "latency_ms", "p99");
        Add(Round(s.LatencyMaxMs), "latency_ms", "max");
        Add(Round(s.LatencyMeanMs), "latency_ms", "mean");

        Add(Round(s.LimiterWaitMs), "limiter_wait_ms", "total");
        Add(s.Total == 0 ? 0d : Round(s.LimiterWaitMs / s.Total), "limiter_wait_ms", "mean_per_item");

        Add(s.RequestsPerMinuteLimit is { } rpm ? Round(rpm) : null, "limits", "requests_per_minute");
        Add(s.TokensPerMinuteLimit is { } tpm ? Round(tpm) : null, "limits", "tokens_per_minute");

        if (s.ConcurrencyLimit is { } limit)
        {
            var most = 0L;
            foreach (var point in run.ConcurrencyTimeline)
            {
                most = Math.Max(most, point.InFlight);
            }

            Add(s.ConcurrencyAdapted == true ? "adaptive" : "fixed", "concurrency", "mode");
            Add((long)limit, "concurrency", "limit_at_end");
            Add(most, "concurrency", "max_in_flight");
        }

        Add(s.PeakMemoryBytes, "memory", "peak_bytes");
        Add(s.IntakePausedTime is { } paused ? Round(paused.TotalSeconds) : null, "memory", "intake_paused_s");

        Add("USD", "cost", "currency");
        Add(run.Cost is { } cost ? Math.Round(cost, 6) : null, "cost", "total");
        Add(run.OnlineCost is { } onlineCost ? Math.Round(onlineCost, 6) : null, "cost", "online");
        Add(run.BatchApiCost is { } batchApiCost ? Math.Round(batchApiCost, 6) : null, "cost", "batch");
        Add(run.Saved is { } saved ? Math.Round(saved, 6) : null, "cost", "saved_by_reuse");
        Add(run.BatchEquivalent is { } equivalent ? Math.Round(equivalent, 6) : null, "cost", "batch_api_equivalent");
        Add(run.PriceSource, "cost", "price_source");
        Add(run.UnpricedTokens, "cost", "unpriced_tokens");

        if (run.Models.Count == 0)
        {
            Add(EmptyGroup, "models");
        }

        foreach (var m in run.Models)
        {
            Add(m.Items, "models", m.Model, "items");
            Add(m.Succeeded, "models", m.Model, "succeeded");
            Add(m.BatchItems, "models", m.Model, "batch_items");
            Add(m.PromptTokens, "models", m.Model, "prompt_tokens");
            Add(m.CompletionTokens, "models", m.Model, "completion_tokens");
            Add(m.Price?.InputPerMillion, "models", m.Model, "input_per_1m");
            Add(m.Price?.OutputPerMillion, "models", m.Model, "output_per_1m");
            Add(m.CachedItems, "models", m.Model, "cached_items");
            Add(m.SharedItems, "models", m.Model, "shared_items");
            Add(m.Price?.CachedInputPerMillion, "models", m.Model, "cached_input_per_1m");
            Add(m.Price?.BatchInputPerMillion, "models", m.Model, "batch_input_per_1m");
            Add(m.Price?.BatchOutputPerMillion, "models", m.Model, "batch_output_per_1m");
            Add(m.Cost is { } c ? Math.Round(c, 6) : null, "models", m.Model, "cost");
            Add(m.Saved is { } sv ? Math.Round(sv, 6) : null, "models", m.Model, "saved_by_reuse");
        }

        foreach (var e in run.Endpoints)
        {
            Add(e.Items, "endpoints", e.Name, "items");
            Add(e.Succeeded, "endpoints", e.Name, "succeeded");
            Add(e.Live?.Attempts, "endpoints", e.Name, "attempts");
            Add(e.Live?.Failed, "endpoints", e.Name, "failed_attempts");
            Add(e.Live?.RateLimited, "endpoints", e.Name, "rate_limited");
            Add(e.Live is { } l && s.WallTime.TotalMinutes > 0 ? Round(l.Attempts / s.WallTime.TotalMinutes) : null, "endpoints", e.Name, "requests_per_min");
            Add(e.Live?.RequestsPerMinuteLimit is { } limitPerMinute ? Round(limitPerMinute) : null, "endpoints", e.Name, "requests_per_minute_limit");
            Add(e.Live?.TimesOut, "endpoints", e.Name, "times_out");
            Add(e.Live?.State.ToString().ToLowerInvariant(), "endpoints", e.Name, "state");
            Add(e.Live?.LastError, "endpoints", e.Name, "last_error");
        }

        foreach (var w in run.Workers)
        {
            Add(w.Host, "workers", w.Id, "host");
            Add((long)w.ProcessId, "workers", w.Id, "process_id");
            Add(w.Done, "workers", w.Id, "done");
            Add(w.Failed, "workers", w.Id, "failed");
            Add(Round(w.ItemsPerSecond), "workers", w.Id, "items_per_s");
            Add(w.RateLimited, "workers", w.Id, "rate_limited");
            Add(w.Errors, "workers", w.Id, "errors");
            Add(w.Duplicates, "workers", w.Id, "duplicates");
            Add(w.Reclaimed, "workers", w.Id, "reclaimed");
            Add(Timestamp(w.LastSeen), "workers", w.Id, "last_seen");
            Add(w.State, "workers", w.Id, "state");
        }

        return figures;
    }

    public static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The invariant text of a figure's value, as the HTML's <c>data-value</c> carries it.</summary>
    public static string Invariant(object? value) => value switch
    {
        null => "",
        string text => text,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        decimal m => m.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static double Round(double value) => double.IsFinite(value) ? Math.Round(value, 3) : 0;
}
