using System.Globalization;
using System.Text;
using LlmBatch.Concurrency;

namespace LlmBatch.Reporting;

/// <summary>
/// Writes <c>report.html</c>: one self-contained, script-free page (inline CSS and SVG, no external resource) that is
/// also well-formed XML. Every figure of <c>summary.json</c> appears in an element whose <c>data-figure</c> is its JSON
/// Pointer and whose <c>data-value</c> is its invariant value, so the page can be checked against the JSON.
/// </summary>
internal sealed class HtmlReportWriter
{
    private const string Blue = "#3b6fd8";
    private const string Teal = "#2a9d8f";
    private const string Orange = "#f08c2e";
    private const string Red = "#d94848";
    private const string Purple = "#8e5cc4";
    private const string Gray = "#8a94a6";
    private const string Green = "#3aa35b";
    private const string Amber = "#e3b23c";
    private const string LimitColor = "#222b3a";

    private readonly RunAggregate _run;
    private readonly string _title;
    private readonly Dictionary<string, ReportFigure> _figures;
    private readonly HashSet<string> _shown = new(StringComparer.Ordinal);
    private readonly StringBuilder _html = new(64 * 1024);

    private HtmlReportWriter(RunAggregate run, IReadOnlyList<ReportFigure> figures, string title)
    {
        _run = run;
        _title = title;
        _figures = figures.Where(f => !ReferenceEquals(f.Value, ReportFigures.EmptyGroup)).ToDictionary(f => f.Pointer, StringComparer.Ordinal);
        FigureOrder = figures;
    }

    private IReadOnlyList<ReportFigure> FigureOrder { get; }

    public static string Render(RunAggregate run, IReadOnlyList<ReportFigure> figures, string title) =>
        new HtmlReportWriter(run, figures, title).Render();

    private string Render()
    {
        var s = _run.Summary;
        _html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>")
            .Append("<title>").Append(Esc(_title)).Append(" · LlmBatch report</title><style>").Append(Css).Append("</style></head><body><main>");

        // Header.
        _html.Append("<header><div class=\"brand\">LlmBatch run report</div><h1>").Append(Esc(_title)).Append("</h1><p class=\"meta\">");
        _html.Append("Output file ").Append(Fig("/source")).Append(" · ");
        if (s.StartedAt is not null)
        {
            _html.Append(Fig("/started_at", v => When(v))).Append(" → ").Append(Fig("/finished_at", v => When(v))).Append(" UTC · ");
        }

        _html.Append("wall time ").Append(Fig("/wall_time_s", v => Duration(ToDouble(v)))).Append("</p>");
        var verdict = s.Total == 0 ? ("neutral", "No items in this output")
            : s.Failed == 0 ? ("ok", $"All {Int(s.Total)} items succeeded")
            : ("bad", $"{Int(s.Failed)} of {Int(s.Total)} items failed");
        _html.Append("<p class=\"verdict ").Append(verdict.Item1).Append("\">").Append(Esc(verdict.Item2)).Append("</p></header>");

        // Headline tiles.
        _html.Append("<section class=\"tiles\">");
        Tile("Items", Fig("/items/total", v => Int(v)), "finished");
        Tile("Succeeded", Fig("/items/succeeded", v => Int(v)), Fig("/items/success_percent", v => Pct(ToDouble(v))), "ok");
        Tile("Failed", Fig("/items/failed", v => Int(v)), s.Failed == 0 ? "none" : "see below", s.Failed == 0 ? "" : "bad");
        Tile("Requests / min", Fig("/throughput/requests_per_min", v => Num(ToDouble(v))), s.RequestsPerMinuteLimit is null
            ? Fig("/throughput/requests_per_s", v => Num(ToDouble(v)) + " /s")
            : "limit " + Fig("/limits/requests_per_minute", v => Num(ToDouble(v))));
        Tile("Tokens / min", Fig("/throughput/tokens_per_min", v => Num(ToDouble(v))), Fig("/throughput/tokens_per_s", v => Num(ToDouble(v)) + " /s"));
        Tile("Latency p50", Fig("/latency_ms/p50", v => Ms(ToDouble(v))), "p95 " + Fig("/latency_ms/p95", v => Ms(ToDouble(v))));
        Tile("429s", Fig("/requests/rate_limited", v => Int(v)), Fig("/requests/retries", v => Int(v)) + " retries", s.RateLimited > 0 ? "warn" : "");
        Tile("Cost", Fig("/cost/total", v => v is null ? "unknown" : Money((decimal)v)), s.TotalTokens == 0 ? "no tokens" : Int(s.TotalTokens) + " tokens");
        _html.Append("</section>");

        // Charts.
        _html.Append("<section class=\"charts\">");
        Chart(ThroughputChart(), "Requests sent (attempts, retries included) and items finished, per minute. The dashed line is the request budget when one was known.");
        Chart(TokenChart(), "Prompt and completion tokens of the items finished, per minute, against the token budget when known. The budget is spent when a request is sent, on its prompt and its whole max_tokens, so the tokens used stay below it.");
        Chart(LatencyChart(), "Duration of each item's final attempt, by when it finished.");
        Chart(HistogramChart(), "How final-attempt durations are spread (logarithmic bins).");
        Chart(StatusChart(), "Attempts by HTTP status, by when they were sent. An output line records only the first dispatch and its final attempt, so an item's earlier attempts are spread evenly over the time between them.");
        Chart(ConcurrencyChart(), "Items being sent or retried, and items waiting for the rate limiter's budget (averages over each slice; waits taken from each item's dispatch).");
        if (_run.ConcurrencyTimeline.Count > 0)
        {
            Chart(ConcurrencyLimitChart(), "The live run's concurrency limit and the most attempts on the wire in each second (docs/limits.md): adaptive, it grows while goodput grows and is cut on refusals or queueing; a server with rate-limit headers opens it to the maximum and its budgets pace the run.");
            Chart(GoodputChart(), "Successful attempts per second, as the live run counted them: the goodput the concurrency limit aims for.");
        }
        _html.Append("</section>");

        // Tables of figures.
        _html.Append("<section class=\"grid\">");
        Card("Outcomes", Table(
            Row("Items", Fig("/items/total", v => Int(v))),
            Row("Succeeded", Fig("/items/succeeded", v => Int(v))),
            Row("Success rate", Fig("/items/success_percent", v => Pct(ToDouble(v)))),
            Row("Failed", Fig("/items/failed", v => Int(v))),
            Rows(ReportOrder.ByCountDescending(s.FailedByCode, codeOnTies: false), code =>
                Row("failed: " + code, Fig(Pointer("failed_by_code", code), v => Int(v)), "sub")),
            Row("Items with provider-reported usage", Fig("/tokens/usage_reported_items", v => Int(v)))));
        Card("Requests", Table(
            Row("Attempts", Fig("/requests/attempts", v => Int(v))),
            Row("Retries", Fig("/requests/retries", v => Int(v))),
            Row("Rate limited (429)", Fig("/requests/rate_limited", v => Int(v))),
            Rows(ReportOrder.Ascending(s.StatusCounts), status =>
                Row(status == 0 ? "no response" : "HTTP " + status.ToString(CultureInfo.InvariantCulture),
                    Fig(Pointer("status_counts", status.ToString(CultureInfo.InvariantCulture)), v => Int(v)), "sub"))));
        Card("Throughput", Table(
            Row("Items / s", Fig("/throughput/items_per_s", v => Num(ToDouble(v)))),
            Row("Requests / s", Fig("/throughput/requests_per_s", v => Num(ToDouble(v)))),
            Row("Requests / min", Fig("/throughput/requests_per_min", v => Num(ToDouble(v)))),
            Row("Tokens / s", Fig("/throughput/tokens_per_s", v => Num(ToDouble(v)))),
            Row("Tokens / min", Fig("/throughput/tokens_per_min", v => Num(ToDouble(v)))),
            Row("Wall time", Fig("/wall_time_s", v => Duration(ToDouble(v))))));
        Card("Latency (final attempt)", Table(
            Row("p50", Fig("/latency_ms/p50", v => Ms(ToDouble(v)))),
            Row("p95", Fig("/latency_ms/p95", v => Ms(ToDouble(v)))),
            Row("p99", Fig("/latency_ms/p99", v => Ms(ToDouble(v)))),
            Row("Max", Fig("/latency_ms/max", v => Ms(ToDouble(v)))),
            Row("Mean", Fig("/latency_ms/mean", v => Ms(ToDouble(v))))));
        Card("Rate limits and waiting", Table(
            Row("Request budget / min", Fig("/limits/requests_per_minute", v => v is null ? "not known" : Num(ToDouble(v)))),
            Row("Token budget / min", Fig("/limits/tokens_per_minute", v => v is null ? "not known" : Num(ToDouble(v)))),
            Row("Waiting for the limiter, all items", Fig("/limiter_wait_ms/total", v => Duration(ToDouble(v) / 1000))),
            Row("Waiting per item, mean", Fig("/limiter_wait_ms/mean_per_item", v => Ms(ToDouble(v))))));
        if (_run.Summary.ConcurrencyLimit is not null)
        {
            Card("Concurrency", Table(
                Row("Limit", Fig("/concurrency/mode")),
                Row("Limit at the end", Fig("/concurrency/limit_at_end", v => Int(v))),
                Row("Most attempts on the wire", Fig("/concurrency/max_in_flight", v => Int(v)))));
        }

        Card("Memory", Table(
            Row("Peak memory", Fig("/memory/peak_bytes", v => v is null ? "not measured" : Bytes((long)v))),
            Row("Intake paused", Fig("/memory/intake_paused_s", v => v is null ? "no memory guard" : Duration(ToDouble(v))))));
        Card("Tokens", Table(
            Row("Prompt (input)", Fig("/tokens/prompt", v => Int(v))),
            Row("Completion (output)", Fig("/tokens/completion", v => Int(v))),
            Row("Total", Fig("/tokens/total", v => Int(v)))));
        Card("Cost", Table(
            Row("Total (answers paid for)", Fig("/cost/total", v => v is null ? "unknown (no price for these models)" : Money((decimal)v))),
            Row("Online", Fig("/cost/online", v => v is null ? "unknown" : Money((decimal)v)), "sub"),
            Row("Batch API", Fig("/cost/batch", v => v is null ? "unknown" : Money((decimal)v)), "sub"),
            Row("Saved by the cache and shared answers", Fig("/cost/saved_by_reuse", v => v is null ? "—" : Money((decimal)v))),
            Row("The same answers all through the Batch API", Fig("/cost/batch_api_equivalent", v => v is null ? "—" : Money((decimal)v))),
            Row("Answered from the cache", Fig("/items/cached", v => Int(v)), "sub"),
            Row("Shared with an identical request", Fig("/items/shared", v => Int(v)), "sub"),
            Row("Currency", Fig("/cost/currency")),
            Row("Unpriced tokens", Fig("/cost/unpriced_tokens", v => Int(v))),
            Row("Prices", Fig("/cost/price_source"), valueCss: "t")));
        _html.Append("</section>");

        ModelsTable();
        EndpointsTable();
        WorkersTable();
        SlowestTable();
        FailedTable();
        SkippedTable();

        // Built before the leftovers, which list only what no part of the page has shown.
        var footer = "<footer>Generated " + Fig("/generated_at", v => When(v)) + " UTC by llmbatch · " + Fig("/schema")
            + " · figures in summary.json (see docs/report.md) · costs are estimates at list prices</footer>";
        Leftovers();
        _html.Append(footer).Append("</main></body></html>\n");
        return _html.ToString();
    }

    private SvgChart NewTimeChart(string id, string title)
    {
        var total = _run.Timeline.Count == 0 ? 0 : _run.Timeline[^1].StartSeconds + _run.Timeline[^1].WidthSeconds;
        return new SvgChart(id, title) { XFormat = v => Clock(v, total) };
    }

    private SvgChart ThroughputChart()
    {
        var chart = NewTimeChart("chart-throughput", "Throughput (per minute)");
        var t = _run.Timeline;
        chart.Line("requests", Blue, Points(t, b => b.PerMinute(b.Attempts)), area: true);
        chart.Line("items done", Teal, Points(t, b => b.PerMinute(b.Completed)));
        if (_run.Summary.RequestsPerMinuteLimit is { } rpm)
        {
            chart.Limit("limit", LimitColor, rpm);
        }

        return chart;
    }

    private SvgChart TokenChart()
    {
        var chart = NewTimeChart("chart-tokens", "Tokens (per minute)");
        var t = _run.Timeline;
        chart.Line("total", Purple, Points(t, b => b.PerMinute(b.PromptTokens + b.CompletionTokens)), area: true);
        chart.Line("prompt", Blue, Points(t, b => b.PerMinute(b.PromptTokens)));
        chart.Line("completion", Orange, Points(t, b => b.PerMinute(b.CompletionTokens)));
        if (_run.Summary.TokensPerMinuteLimit is { } tpm)
        {
            chart.Limit("limit", LimitColor, tpm);
        }

        return chart;
    }

    private SvgChart LatencyChart()
    {
        var chart = NewTimeChart("chart-latency", "Latency percentiles over time");
        chart.YFormat = v => Ms(v);
        var t = _run.Timeline;
        chart.Line("p50", Blue, Points(t, b => b.LatencyP50Ms), area: true);
        chart.Line("p95", Orange, Points(t, b => b.LatencyP95Ms));
        chart.Line("p99", Red, Points(t, b => b.LatencyP99Ms));
        return chart;
    }

    private SvgChart HistogramChart()
    {
        var chart = new SvgChart("chart-histogram", "Latency distribution");
        var latencies = _run.Latencies;
        if (latencies.Length == 0)
        {
            return chart;
        }

        // From the 1st percentile, not the minimum: a few instant failures (a reset connection answers in a
        // millisecond) would otherwise stretch the log scale and squeeze every real latency into a few bars.
        // Whatever lies below falls into the first bar.
        var low = Math.Max(LatencyHistogram.LowestMs, latencies[(int)(latencies.Length * 0.01)]);
        var high = Math.Max(low * 1.01, latencies[^1]);
        const int bins = 30;
        var ratio = Math.Pow(high / low, 1.0 / bins);
        var counts = new double[bins];
        foreach (var value in latencies)
        {
            var index = value <= low ? 0 : (int)(Math.Log(value / low) / Math.Log(ratio));
            counts[Math.Clamp(index, 0, bins - 1)] += _run.LatencyWeight;
        }

        var categories = new string[bins];
        var xs = new double[bins];
        for (var i = 0; i < bins; i++)
        {
            categories[i] = Ms(low * Math.Pow(ratio, i));
            xs[i] = i;
        }

        chart.Categories = categories;
        chart.Bars(xs, 1, "items", Teal, counts);
        return chart;
    }

    private SvgChart StatusChart()
    {
        var chart = NewTimeChart("chart-status", "Responses by status (per slice)");
        var t = _run.Timeline;
        var xs = Values(t, b => b.StartSeconds);
        var width = t.Count == 0 ? 1 : t[0].WidthSeconds;
        chart.Bars(xs, width, "2xx", Green, Values(t, b => b.Status2xx));
        chart.Bars(xs, width, "429", Amber, Values(t, b => b.Status429));
        chart.Bars(xs, width, "4xx", Purple, Values(t, b => b.Status4xx));
        chart.Bars(xs, width, "5xx", Red, Values(t, b => b.Status5xx));
        chart.Bars(xs, width, "no response", Gray, Values(t, b => b.NoResponse));
        chart.Line("retries", LimitColor, Points(t, b => (double)b.Retries));
        return chart;
    }

    private SvgChart ConcurrencyChart()
    {
        var chart = NewTimeChart("chart-concurrency", "In flight and waiting on the limiter");
        var t = _run.Timeline;

        // What the live view calls in flight: items in progress less those waiting for the rate budget.
        chart.Line("in flight", Blue, Points(t, b => Math.Max(0, b.InFlight - b.LimiterWaiting)), area: true);
        chart.Line("waiting on limiter", Orange, Points(t, b => b.LimiterWaiting));
        return chart;
    }

    private SvgChart ConcurrencyLimitChart()
    {
        var chart = NewTimeChart("chart-concurrency-limit", "Concurrency limit and attempts on the wire");
        var points = _run.ConcurrencyTimeline;
        chart.Line("limit", Orange, Points(points, p => (double)p.Limit));
        chart.Line("on the wire (most)", Blue, Points(points, p => (double)p.InFlight), area: true);
        return chart;
    }

    private SvgChart GoodputChart()
    {
        var chart = NewTimeChart("chart-goodput", "Goodput (successes per second)");
        chart.Line("goodput", Teal, Points(_run.ConcurrencyTimeline, p => p.Goodput), area: true);
        return chart;
    }

    private void ModelsTable()
    {
        _html.Append("<section class=\"card wide\"><h2>Models, tokens and cost</h2><table class=\"list\"><thead><tr><th>Model</th><th class=\"n\">Items</th><th class=\"n\">Succeeded</th><th class=\"n\">Via Batch API</th><th class=\"n\">Prompt tokens</th><th class=\"n\">Completion tokens</th><th class=\"n\">$ / 1M in</th><th class=\"n\">$ / 1M out</th><th class=\"n\">From cache</th><th class=\"n\">Shared</th><th class=\"n\">Cost</th><th class=\"n\">Saved</th></tr></thead><tbody>");
        foreach (var m in _run.Models)
        {
            string P(string field) => Pointer("models", m.Model, field);
            _html.Append("<tr><td class=\"mono\">").Append(Esc(m.Model)).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("items"), v => Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("succeeded"), v => Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("batch_items"), v => Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("prompt_tokens"), v => Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("completion_tokens"), v => Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("input_per_1m"), v => v is null ? "—" : Money((decimal)v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("output_per_1m"), v => v is null ? "—" : Money((decimal)v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("cached_items"), v => Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("shared_items"), v => Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("cost"), v => v is null ? "no price" : Money((decimal)v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("saved_by_reuse"), v => v is null ? "—" : Money((decimal)v))).Append("</td></tr>");
        }

        if (_run.Models.Count == 0)
        {
            _html.Append("<tr><td colspan=\"12\" class=\"none\">No items.</td></tr>");
        }

        _html.Append("</tbody></table></section>");
    }

    private void EndpointsTable()
    {
        if (_run.Endpoints.Count == 0)
        {
            return;
        }

        _html.Append("<section class=\"card wide\"><h2>Endpoints</h2><table class=\"list\"><thead><tr><th>Endpoint</th><th class=\"n\">Items</th><th class=\"n\">Succeeded</th><th class=\"n\">Attempts</th><th class=\"n\">Failed attempts</th><th class=\"n\">429s</th><th class=\"n\">Requests / min</th><th class=\"n\">Limit / min</th><th class=\"n\">Times out</th><th>State at the end</th><th>Last error</th></tr></thead><tbody>");
        foreach (var e in _run.Endpoints)
        {
            string P(string field) => Pointer("endpoints", e.Name, field);
            _html.Append("<tr><td class=\"mono\">").Append(Esc(e.Name)).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("items"), v => Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("succeeded"), v => Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("attempts"), v => v is null ? "—" : Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("failed_attempts"), v => v is null ? "—" : Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("rate_limited"), v => v is null ? "—" : Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("requests_per_min"), v => v is null ? "—" : Num(ToDouble(v)))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("requests_per_minute_limit"), v => v is null ? "—" : Num(ToDouble(v)))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("times_out"), v => v is null ? "—" : Int(v))).Append("</td>")
                .Append("<td>").Append(Fig(P("state"), v => v is null ? "—" : Esc((string)v))).Append("</td>")
                .Append("<td class=\"mono\">").Append(Fig(P("last_error"), v => v is null ? "—" : Esc((string)v))).Append("</td></tr>");
        }

        _html.Append("</tbody></table></section>");
    }

    private void WorkersTable()
    {
        if (_run.Workers.Count == 0)
        {
            return;
        }

        _html.Append("<section class=\"card wide\"><h2>Workers</h2><table class=\"list\"><thead><tr><th>Worker</th><th>Host</th><th class=\"n\">Process</th><th class=\"n\">Done</th><th class=\"n\">Failed</th><th class=\"n\">Items / s</th><th class=\"n\">429s</th><th class=\"n\">Errors</th><th class=\"n\">Duplicates</th><th class=\"n\">Taken over</th><th>Last seen</th><th>State at the end</th></tr></thead><tbody>");
        foreach (var w in _run.Workers)
        {
            string P(string field) => Pointer("workers", w.Id, field);
            _html.Append("<tr><td class=\"mono\">").Append(Esc(w.Id)).Append("</td>")
                .Append("<td class=\"mono\">").Append(Fig(P("host"), v => Esc((string)v!))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("process_id"))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("done"), v => Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("failed"), v => Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("items_per_s"), v => Num(ToDouble(v)))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("rate_limited"), v => Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("errors"), v => Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("duplicates"), v => Int(v))).Append("</td>")
                .Append("<td class=\"n\">").Append(Fig(P("reclaimed"), v => Int(v))).Append("</td>")
                .Append("<td class=\"mono\">").Append(Fig(P("last_seen"), v => Esc((string)v!))).Append("</td>")
                .Append("<td>").Append(Fig(P("state"), v => Esc((string)v!))).Append("</td></tr>");
        }

        _html.Append("</tbody></table></section>");
    }

    private void SlowestTable()
    {
        _html.Append("<section class=\"card wide\"><h2>Slowest items</h2><table class=\"list\"><thead><tr><th>custom_id</th><th class=\"n\">Line</th><th>Model</th><th class=\"n\">Final attempt</th><th class=\"n\">First dispatch to outcome</th><th>Statuses</th></tr></thead><tbody>");
        foreach (var r in _run.Slowest)
        {
            _html.Append("<tr><td class=\"mono\">").Append(Esc(r.CustomId)).Append("</td><td class=\"n\">").Append(r.Line > 0 ? Int(r.Line) : "—")
                .Append("</td><td class=\"mono\">").Append(Esc(r.Model)).Append("</td><td class=\"n\">").Append(Esc(Ms(r.LatencyMs)))
                .Append("</td><td class=\"n\">").Append(Esc(Ms(r.TotalMs))).Append("</td><td>").Append(Statuses(r.Statuses)).Append("</td></tr>");
        }

        if (_run.Slowest.Count == 0)
        {
            _html.Append("<tr><td colspan=\"6\" class=\"none\">No timed items.</td></tr>");
        }

        _html.Append("</tbody></table></section>");
    }

    private void FailedTable()
    {
        var failed = _run.Summary.Failed;
        _html.Append("<section class=\"card wide\"><h2>Failed items</h2>");
        if (failed > _run.FailedItems.Count)
        {
            _html.Append("<p class=\"note\">The first ").Append(Int(_run.FailedItems.Count)).Append(" of ").Append(Int(failed))
                .Append(" failures, in file order. The output file has every one.</p>");
        }

        _html.Append("<table class=\"list\"><thead><tr><th>custom_id</th><th class=\"n\">Line</th><th>Error</th><th>Statuses</th><th>Message</th></tr></thead><tbody>");
        foreach (var r in _run.FailedItems)
        {
            var message = r.ErrorMessage ?? "";
            if (message.Length > 300)
            {
                message = message[..300] + "…";
            }

            _html.Append("<tr><td class=\"mono\">").Append(Esc(r.CustomId)).Append("</td><td class=\"n\">").Append(r.Line > 0 ? Int(r.Line) : "—")
                .Append("</td><td><span class=\"code\">").Append(Esc(r.ErrorCode ?? "http_" + r.StatusCode.ToString(CultureInfo.InvariantCulture)))
                .Append("</span></td><td>").Append(Statuses(r.Statuses)).Append("</td><td class=\"msg\">").Append(Esc(message)).Append("</td></tr>");
        }

        if (_run.FailedItems.Count == 0)
        {
            _html.Append("<tr><td colspan=\"5\" class=\"none\">No failures.</td></tr>");
        }

        _html.Append("</tbody></table></section>");
    }

    private void SkippedTable()
    {
        if (_run.SkippedInputs is not { } skipped)
        {
            return;
        }

        _html.Append("<section class=\"card wide\"><h2>Skipped input files: ").Append(Fig("/inputs/skipped", v => Int(v))).Append("</h2>");
        _html.Append("<table class=\"list\"><thead><tr><th>File</th><th>Why it was not read</th></tr></thead><tbody>");
        foreach (var (path, reason) in skipped)
        {
            _html.Append("<tr><td class=\"mono\">").Append(Esc(path)).Append("</td><td class=\"msg\">").Append(Esc(reason)).Append("</td></tr>");
        }

        if (skipped.Count == 0)
        {
            _html.Append("<tr><td colspan=\"2\" class=\"none\">Every file was read.</td></tr>");
        }

        _html.Append("</tbody></table></section>");
    }

    // Any figure no section showed (a safety net as summary.json grows): listed so the page never hides one.
    private void Leftovers()
    {
        var rest = FigureOrder.Where(f => !ReferenceEquals(f.Value, ReportFigures.EmptyGroup) && !_shown.Contains(f.Pointer)).ToList();
        if (rest.Count == 0)
        {
            return;
        }

        _html.Append("<section class=\"card wide\"><h2>Other figures</h2><table>");
        foreach (var f in rest)
        {
            _html.Append(Row(f.Pointer, Fig(f.Pointer)));
        }

        _html.Append("</table></section>");
    }

    private void Tile(string label, string value, string sub, string tone = "")
    {
        _html.Append("<div class=\"tile ").Append(tone).Append("\"><div class=\"tl\">").Append(Esc(label)).Append("</div><div class=\"tv\">")
            .Append(value).Append("</div><div class=\"ts\">").Append(sub).Append("</div></div>");
    }

    private void Chart(SvgChart chart, string caption) =>
        _html.Append("<figure class=\"card\">").Append(chart.Render()).Append("<figcaption>").Append(Esc(caption)).Append("</figcaption></figure>");

    private void Card(string title, string body) =>
        _html.Append("<section class=\"card\"><h2>").Append(Esc(title)).Append("</h2>").Append(body).Append("</section>");

    private static string Table(params string[] rows) => "<table>" + string.Concat(rows) + "</table>";

    private static string Row(string label, string value, string css = "", string valueCss = "n") =>
        $"<tr class=\"{css}\"><th>{Esc(label)}</th><td class=\"{valueCss}\">{value}</td></tr>";

    /// <summary>A figure's element: its display text, its pointer and its invariant value.</summary>
    private string Fig(string pointer, Func<object?, string>? display = null)
    {
        if (!_figures.TryGetValue(pointer, out var figure))
        {
            throw new InvalidOperationException($"The report shows {pointer}, which summary.json does not have.");
        }

        _shown.Add(pointer);
        var text = display is null ? ReportFigures.Invariant(figure.Value) : display(figure.Value);
        return $"<span class=\"fig\" data-figure=\"{Esc(pointer)}\" data-value=\"{Esc(ReportFigures.Invariant(figure.Value))}\">{Esc(text)}</span>";
    }

    private static string Pointer(params string[] path) => new ReportFigure(path, null).Pointer;

    private static string Statuses(IReadOnlyList<int> statuses)
    {
        var html = new StringBuilder();
        foreach (var status in statuses)
        {
            var tone = status switch { >= 200 and < 300 => "s2", 429 => "s429", >= 500 => "s5", 0 => "s0", _ => "s4" };
            html.Append("<span class=\"st ").Append(tone).Append("\">").Append(status == 0 ? "—" : status.ToString(CultureInfo.InvariantCulture)).Append("</span>");
        }

        return html.ToString();
    }

    private static double Mid(TimeBucket b) => b.StartSeconds + (b.WidthSeconds / 2);

    // The helpers below are loops rather than LINQ over value types (see ReportOrder): the same values, without
    // generic code compiled on the fly in every run's report.
    private static List<(double X, double Y)> Points(IReadOnlyList<TimeBucket> buckets, Func<TimeBucket, double> y)
    {
        var points = new List<(double X, double Y)>(buckets.Count);
        foreach (var b in buckets)
        {
            points.Add((Mid(b), y(b)));
        }

        return points;
    }

    private static List<(double X, double Y)> Points(IReadOnlyList<ConcurrencyPoint> timeline, Func<ConcurrencyPoint, double> y)
    {
        var points = new List<(double X, double Y)>(timeline.Count);
        for (var i = 0; i < timeline.Count; i++)
        {
            points.Add((timeline[i].AtSeconds + (timeline[i].SpanSeconds / 2), y(timeline[i])));
        }

        return points;
    }

    private static double[] Values(IReadOnlyList<TimeBucket> buckets, Func<TimeBucket, double> value)
    {
        var values = new double[buckets.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = value(buckets[i]);
        }

        return values;
    }

    private static string Rows(string[] keys, Func<string, string> row)
    {
        var rows = new StringBuilder();
        foreach (var key in keys)
        {
            rows.Append(row(key));
        }

        return rows.ToString();
    }

    private static string Rows(int[] keys, Func<int, string> row)
    {
        var rows = new StringBuilder();
        foreach (var key in keys)
        {
            rows.Append(row(key));
        }

        return rows.ToString();
    }

    private static double ToDouble(object? v) => v switch { double d => d, long l => l, decimal m => (double)m, _ => 0 };

    private static string Int(object? v) => v switch
    {
        long l => l.ToString("#,0", CultureInfo.InvariantCulture),
        int i => i.ToString("#,0", CultureInfo.InvariantCulture),
        _ => ToDouble(v).ToString("#,0", CultureInfo.InvariantCulture),
    };

    private static string Num(double v) => v switch
    {
        >= 1000 => v.ToString("#,0", CultureInfo.InvariantCulture),
        >= 10 => v.ToString("#,0.#", CultureInfo.InvariantCulture),
        _ => v.ToString("0.##", CultureInfo.InvariantCulture),
    };

    private static string Pct(double v) => v.ToString("0.##", CultureInfo.InvariantCulture) + " %";

    internal static string Money(decimal v) => "$" + (v >= 100 ? v.ToString("#,0.00", CultureInfo.InvariantCulture) : v.ToString(v >= 1 ? "0.00" : "0.00##", CultureInfo.InvariantCulture));

    internal static string Ms(double ms) => ms switch
    {
        >= 60_000 => Duration(ms / 1000),
        >= 10_000 => (ms / 1000).ToString("0.0", CultureInfo.InvariantCulture) + " s",
        >= 1000 => (ms / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s",
        >= 10 => ms.ToString("0", CultureInfo.InvariantCulture) + " ms",
        _ => ms.ToString("0.##", CultureInfo.InvariantCulture) + " ms",
    };

    // Computed on doubles, not TimeSpan: a figure read from a file can be any size and must never throw here.
    internal static string Duration(double seconds)
    {
        if (!double.IsFinite(seconds))
        {
            return "—";
        }

        if (seconds < 60)
        {
            return seconds.ToString("0.##", CultureInfo.InvariantCulture) + " s";
        }

        var (hours, minutes, rest) = Split(seconds);
        return hours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{hours:0} h {minutes:00} min")
            : string.Create(CultureInfo.InvariantCulture, $"{minutes} min {rest:00} s");
    }

    private static (double Hours, int Minutes, int Seconds) Split(double seconds)
    {
        var total = Math.Round(seconds);
        return (Math.Floor(total / 3600), (int)(Math.Floor(total / 60) % 60), (int)(total % 60));
    }

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.##", CultureInfo.InvariantCulture) + " GB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
    };

    private static string When(object? v) => v is string s && s.Length >= 19 ? s[..19].Replace('T', ' ') : "—";

    private static string Clock(double seconds, double total)
    {
        var (hours, minutes, rest) = Split(double.IsFinite(seconds) ? seconds : 0);
        return total >= 3600
            ? string.Create(CultureInfo.InvariantCulture, $"{hours:0}:{minutes:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{(hours * 60) + minutes:0}:{rest:00}");
    }

    private static string Esc(string text) => HtmlText.Escape(text);

    private const string Css = """
        :root{--bg:#f4f6fa;--card:#fff;--ink:#1d2433;--muted:#667085;--line:#e4e8f0;--ok:#2f9e5b;--bad:#d94848;--warn:#d08a12}
        *{box-sizing:border-box}
        body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
        main{max-width:1360px;margin:0 auto;padding:28px 24px 40px}
        header{margin-bottom:18px}
        .brand{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);font-weight:600}
        h1{margin:4px 0 6px;font-size:26px;font-weight:700;word-break:break-all}
        h2{margin:0 0 10px;font-size:15px;font-weight:650}
        .meta{margin:0;color:var(--muted)}
        .verdict{display:inline-block;margin:10px 0 0;padding:4px 12px;border-radius:999px;font-weight:600;font-size:13px}
        .verdict.ok{background:#e3f5ea;color:#1f7a43}.verdict.bad{background:#fde8e8;color:#b42323}.verdict.neutral{background:#eceff4;color:var(--muted)}
        .tiles{display:grid;grid-template-columns:repeat(8,1fr);gap:12px;margin:18px 0}
        .tile{background:var(--card);border-radius:10px;padding:12px 14px;box-shadow:0 1px 2px rgba(16,24,40,.06);border:1px solid var(--line);border-top:3px solid #3b6fd8}
        .tile.ok{border-top-color:var(--ok)}.tile.bad{border-top-color:var(--bad)}.tile.warn{border-top-color:var(--warn)}
        .tl{font-size:12px;color:var(--muted);font-weight:600}
        .tv{font-size:22px;font-weight:700;margin:2px 0;white-space:nowrap;font-variant-numeric:tabular-nums}
        .ts{font-size:12px;color:var(--muted);white-space:nowrap}
        .charts{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:14px;margin-bottom:14px}
        .grid{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:14px;margin-bottom:14px}
        .card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px;box-shadow:0 1px 2px rgba(16,24,40,.06);margin:0}
        .card.wide{margin-bottom:14px;overflow-x:auto}
        figure.card{padding:10px 12px 12px}
        figcaption{font-size:12px;color:var(--muted);margin-top:4px}
        svg.chart{width:100%;height:auto;display:block}
        .chart .ct{font-size:14px;font-weight:650;fill:var(--ink)}
        .chart .lg{font-size:11px;fill:#475467}
        .chart .grid{stroke:#edf0f5;stroke-width:1}
        .chart .axis{stroke:#98a2b3;stroke-width:1}
        .chart .yl{font-size:11px;fill:#667085;text-anchor:end}
        .chart .xl{font-size:11px;fill:#667085;text-anchor:middle}
        .chart .empty{font-size:13px;fill:#98a2b3;text-anchor:middle}
        .chart .pt{opacity:0}.chart .pt:hover{opacity:1}
        table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
        th,td{padding:5px 6px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
        th{font-weight:500;color:#475467}
        tr:last-child th,tr:last-child td{border-bottom:none}
        td.n,th.n{text-align:right;white-space:nowrap}
        td.t{text-align:right;overflow-wrap:anywhere}
        tr.sub th{padding-left:18px;color:var(--muted)}
        table.list thead th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);border-bottom:2px solid var(--line)}
        table.list tbody tr:nth-child(even){background:#fafbfd}
        .mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
        .msg{color:#475467;max-width:560px}
        .code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#fde8e8;color:#b42323;padding:1px 6px;border-radius:4px;font-size:12px}
        .st{display:inline-block;min-width:34px;text-align:center;margin:0 3px 2px 0;padding:0 5px;border-radius:4px;font-size:12px;font-weight:600}
        .s2{background:#e3f5ea;color:#1f7a43}.s429{background:#fdf1d8;color:#8a5a00}.s4{background:#efe7fa;color:#6b3fa0}.s5{background:#fde8e8;color:#b42323}.s0{background:#eceff4;color:#667085}
        .none{color:var(--muted);text-align:center;padding:14px}
        .note{color:var(--muted);margin:0 0 8px}
        footer{color:var(--muted);font-size:12px;margin-top:18px;text-align:center}
        @media (max-width:1100px){.tiles{grid-template-columns:repeat(4,1fr)}.grid{grid-template-columns:1fr 1fr}.charts{grid-template-columns:1fr}}
        """;
}
