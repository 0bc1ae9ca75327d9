using System.Globalization;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using LlmBatch.Output;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Reporting.Tests;

public sealed partial class RunReportTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "llmbatch-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task WriteAsync_SampleRun_SummaryJsonEqualsRecomputedFigures()
    {
        var results = SampleRun.Create();
        var files = await RunReport.WriteAsync(SampleRun.Stream(results), _dir, "results.jsonl", cancellationToken: TestContext.Current.CancellationToken);

        // Recompute independently of the report code.
        var expectedFailed = results.Where(r => !r.IsSuccess).GroupBy(r => r.Error!.Code).ToDictionary(g => g.Key, g => (long)g.Count());
        var allStatuses = results.SelectMany(r => r.Stats.Statuses).ToList();
        var start = results.Min(r => r.Stats.StartedAt);
        var finish = results.Max(r => r.Stats.FinishedAt);
        var wall = (finish - start).TotalSeconds;
        var latencies = results.Select(r => r.Stats.LatencyMs).Order().ToList();

        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(files.SummaryJsonPath, TestContext.Current.CancellationToken));
        var root = json.RootElement;
        Assert.Equal("llmbatch.summary/1", root.GetProperty("schema").GetString());
        Assert.Equal("results.jsonl", root.GetProperty("source").GetString());
        Assert.Equal(start, DateTimeOffset.Parse(root.GetProperty("started_at").GetString()!, CultureInfo.InvariantCulture));
        Assert.Equal(finish, DateTimeOffset.Parse(root.GetProperty("finished_at").GetString()!, CultureInfo.InvariantCulture));
        Assert.Equal(wall, root.GetProperty("wall_time_s").GetDouble(), 3);
        Assert.Equal(results.Count, root.GetProperty("items").GetProperty("total").GetInt64());
        Assert.Equal(results.Count(r => r.IsSuccess), root.GetProperty("items").GetProperty("succeeded").GetInt64());
        Assert.Equal(results.Count(r => !r.IsSuccess), root.GetProperty("items").GetProperty("failed").GetInt64());
        var failedByCode = root.GetProperty("failed_by_code").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        Assert.Equal(expectedFailed.OrderBy(p => p.Key), failedByCode.OrderBy(p => p.Key));
        var requests = root.GetProperty("requests");
        Assert.Equal(allStatuses.Count, requests.GetProperty("attempts").GetInt64());
        Assert.Equal(results.Sum(r => r.Stats.Attempts - 1), requests.GetProperty("retries").GetInt64());
        Assert.Equal(allStatuses.Count(s => s == 429), requests.GetProperty("rate_limited").GetInt64());
        foreach (var group in allStatuses.GroupBy(s => s))
        {
            Assert.Equal(group.Count(), root.GetProperty("status_counts").GetProperty(group.Key.ToString(CultureInfo.InvariantCulture)).GetInt64());
        }

        var tokens = root.GetProperty("tokens");
        long prompt = results.Sum(r => (long)r.Stats.PromptTokens), completion = results.Sum(r => (long)r.Stats.CompletionTokens);
        Assert.Equal(prompt, tokens.GetProperty("prompt").GetInt64());
        Assert.Equal(completion, tokens.GetProperty("completion").GetInt64());
        Assert.Equal(prompt + completion, tokens.GetProperty("total").GetInt64());
        Assert.Equal(results.Count(r => r.Stats.UsageReported), tokens.GetProperty("usage_reported_items").GetInt64());
        var throughput = root.GetProperty("throughput");
        Assert.Equal(results.Count / wall, throughput.GetProperty("items_per_s").GetDouble(), 2);
        Assert.Equal(allStatuses.Count / wall, throughput.GetProperty("requests_per_s").GetDouble(), 2);
        Assert.Equal((prompt + completion) / wall, throughput.GetProperty("tokens_per_s").GetDouble(), 2);
        var latency = root.GetProperty("latency_ms");
        Assert.Equal(latencies[^1], latency.GetProperty("max").GetDouble(), 3);
        Assert.Equal(latencies.Average(), latency.GetProperty("mean").GetDouble(), 2);
        foreach (var (name, p) in new[] { ("p50", 50.0), ("p95", 95.0), ("p99", 99.0) })
        {
            var exact = latencies[(int)Math.Ceiling(p / 100 * latencies.Count) - 1];
            Assert.InRange(latency.GetProperty(name).GetDouble(), exact * 0.99, exact * 1.01);
        }

        Assert.Equal(results.Sum(r => r.Stats.LimiterWaitMs), root.GetProperty("limiter_wait_ms").GetProperty("total").GetDouble(), 2);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("limits").GetProperty("requests_per_minute").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("memory").GetProperty("peak_bytes").ValueKind);

        // Cost: gpt-4o-mini and gpt-4.1-nano are priced, the local model is not.
        var models = root.GetProperty("models");
        decimal expectedCost = 0;
        foreach (var (model, input, output) in new[] { ("gpt-4o-mini", 0.15m, 0.60m), ("gpt-4.1-nano", 0.10m, 0.40m) })
        {
            var mine = results.Where(r => r.Stats.Model == model).ToList();
            var cost = (mine.Sum(r => (long)r.Stats.PromptTokens) * input + mine.Sum(r => (long)r.Stats.CompletionTokens) * output) / 1_000_000m;
            expectedCost += cost;
            Assert.Equal(mine.Count, models.GetProperty(model).GetProperty("items").GetInt64());
            Assert.Equal(Math.Round(cost, 6), models.GetProperty(model).GetProperty("cost").GetDecimal());
        }

        Assert.Equal(JsonValueKind.Null, models.GetProperty("my-local-model").GetProperty("cost").ValueKind);
        Assert.Equal(Math.Round(expectedCost, 6), root.GetProperty("cost").GetProperty("total").GetDecimal());
        var local = results.Where(r => r.Stats.Model == "my-local-model").Sum(r => (long)r.Stats.PromptTokens + r.Stats.CompletionTokens);
        Assert.Equal(local, root.GetProperty("cost").GetProperty("unpriced_tokens").GetInt64());
    }

    [Fact]
    public async Task WriteAsync_SampleRun_HtmlIsWellFormedAndNamesEveryFigureOfSummaryJson()
    {
        var results = SampleRun.Create();
        var files = await RunReport.WriteAsync(
            SampleRun.Stream(results),
            _dir,
            "results.jsonl",
            new RunReportOptions { RequestsPerMinuteLimit = 500, LiveSummary = new RunSummary { PeakMemoryBytes = 123_456_789, IntakePausedTime = TimeSpan.FromSeconds(3.5) } },
            TestContext.Current.CancellationToken);

        var html = await File.ReadAllTextAsync(files.HtmlPath, TestContext.Current.CancellationToken);
        var document = XDocument.Load(XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }));
        var shown = document.Descendants()
            .Where(e => e.Attribute("data-figure") is not null)
            .GroupBy(e => e.Attribute("data-figure")!.Value)
            .ToDictionary(g => g.Key, g => g.Select(e => e.Attribute("data-value")!.Value).ToList());

        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(files.SummaryJsonPath, TestContext.Current.CancellationToken));
        var leaves = new List<(string Pointer, JsonElement Value)>();
        Flatten(json.RootElement, "", leaves);
        Assert.True(leaves.Count > 50);
        foreach (var (pointer, value) in leaves)
        {
            Assert.True(shown.TryGetValue(pointer, out var values), $"report.html does not show {pointer}");
            foreach (var text in values)
            {
                switch (value.ValueKind)
                {
                    case JsonValueKind.Null: Assert.Equal("", text); break;
                    case JsonValueKind.String: Assert.Equal(value.GetString(), text); break;
                    default: Assert.Equal(value.GetDouble(), double.Parse(text, CultureInfo.InvariantCulture)); break;
                }
            }
        }

        // And nothing in the page claims a figure summary.json does not have.
        Assert.Empty(shown.Keys.Except(leaves.Select(l => l.Pointer)));
        Assert.Equal("500", shown["/limits/requests_per_minute"][0]);
        Assert.Equal("123456789", shown["/memory/peak_bytes"][0]);
        Assert.Equal("3.5", shown["/memory/intake_paused_s"][0]);

        // Six charts, each with drawn content, and every failed item listed with its error.
        var svgs = document.Descendants("svg").ToList();
        Assert.Equal(6, svgs.Count);
        Assert.All(svgs, svg => Assert.True(svg.Descendants().Count(e => e.Name.LocalName is "path" or "rect") > 1, svg.Attribute("id")!.Value));
        foreach (var failed in results.Where(r => !r.IsSuccess))
        {
            Assert.Contains(failed.CustomId, html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task WriteAsync_AnyRun_HtmlReferencesNothingOutside()
    {
        var files = await RunReport.WriteAsync(SampleRun.Stream(SampleRun.Create(200)), _dir, "r.jsonl", cancellationToken: TestContext.Current.CancellationToken);
        var html = await File.ReadAllTextAsync(files.HtmlPath, TestContext.Current.CancellationToken);

        Assert.DoesNotContain("http:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" href=", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task WriteAsync_NoResults_WritesEmptyButValidReport()
    {
        var files = await RunReport.WriteAsync(SampleRun.Stream([]), _dir, "empty.jsonl", cancellationToken: TestContext.Current.CancellationToken);
        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(files.SummaryJsonPath, TestContext.Current.CancellationToken));
        Assert.Equal(0, json.RootElement.GetProperty("items").GetProperty("total").GetInt64());
        Assert.Equal(JsonValueKind.Object, json.RootElement.GetProperty("failed_by_code").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("started_at").ValueKind);
        var html = await File.ReadAllTextAsync(files.HtmlPath, TestContext.Current.CancellationToken);
        XDocument.Load(XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }));
        Assert.Contains("No items", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_GivenClock_StampsGeneratedAt()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var files = await RunReport.WriteAsync(SampleRun.Stream(SampleRun.Create(5)), _dir, "r.jsonl", new RunReportOptions { TimeProvider = clock }, TestContext.Current.CancellationToken);
        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(files.SummaryJsonPath, TestContext.Current.CancellationToken));
        Assert.Equal("2030-01-02T03:04:05.000Z", json.RootElement.GetProperty("generated_at").GetString());
    }

    [Fact]
    public async Task WriteAsync_HostileCustomIdsAndMessages_Escaped()
    {
        var results = SampleRun.Create(3);
        results.Add(new BatchResult
        {
            CustomId = "<script>alert('x')</script>&",
            Id = "batch_req_x",
            StatusCode = 400,
            Error = new BatchError("http_400", "bad <b>input</b> ]]> \u0001"),
            Stats = new BatchItemStats { Attempts = 1, Statuses = [400], Model = "m/<x>", StartedAt = SampleRun.Start, FinishedAt = SampleRun.Start.AddSeconds(1) },
        });
        var files = await RunReport.WriteAsync(SampleRun.Stream(results), _dir, "r.jsonl", cancellationToken: TestContext.Current.CancellationToken);
        var html = await File.ReadAllTextAsync(files.HtmlPath, TestContext.Current.CancellationToken);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        XDocument.Load(XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }));
    }

    private static void Flatten(JsonElement element, string pointer, List<(string, JsonElement)> leaves)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                Flatten(property.Value, pointer + "/" + property.Name.Replace("~", "~0").Replace("/", "~1"), leaves);
            }
        }
        else
        {
            leaves.Add((pointer, element));
        }
    }
}
