using System.Text.Json;

namespace LlmBatch.Reporting.Tests;

// The report of a job spread over several processes (RunReportOptions.Workers).
public sealed partial class RunReportTests
{
    private static readonly DateTimeOffset Seen = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task WriteAsync_Workers_SummaryHasEachWorkersFiguresAndThePageATable()
    {
        RunReportWorker[] workers =
        [
            new() { Id = "a-11-x", Host = "a", ProcessId = 11, Done = 700, Failed = 3, Duplicates = 1, Reclaimed = 4, Errors = 2, RateLimited = 5, ItemsPerSecond = 12.3456, LastSeen = Seen, Left = true },
            new() { Id = "b-22-<y>", Host = "b", ProcessId = 22, Done = 300, LastSeen = Seen.AddSeconds(-5), Lost = true },
        ];

        var files = await RunReport.WriteAsync(
            SampleRun.Stream(SampleRun.Create()), _dir, "results.jsonl", new RunReportOptions { Workers = workers }, TestContext.Current.CancellationToken);

        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(files.SummaryJsonPath, TestContext.Current.CancellationToken));
        var a = json.RootElement.GetProperty("workers").GetProperty("a-11-x");
        Assert.Equal("a", a.GetProperty("host").GetString());
        Assert.Equal(11, a.GetProperty("process_id").GetInt64());
        Assert.Equal(700, a.GetProperty("done").GetInt64());
        Assert.Equal(3, a.GetProperty("failed").GetInt64());
        Assert.Equal(12.346, a.GetProperty("items_per_s").GetDouble());
        Assert.Equal(5, a.GetProperty("rate_limited").GetInt64());
        Assert.Equal(2, a.GetProperty("errors").GetInt64());
        Assert.Equal(1, a.GetProperty("duplicates").GetInt64());
        Assert.Equal(4, a.GetProperty("reclaimed").GetInt64());
        Assert.Equal("2026-11-30T09:00:00.000Z", a.GetProperty("last_seen").GetString());
        Assert.Equal("left", a.GetProperty("state").GetString());
        Assert.Equal("lost", json.RootElement.GetProperty("workers").GetProperty("b-22-<y>").GetProperty("state").GetString());

        var html = await File.ReadAllTextAsync(files.HtmlPath, TestContext.Current.CancellationToken);
        Assert.Contains("<h2>Workers</h2>", html, StringComparison.Ordinal);
        Assert.Contains("a-11-x", html, StringComparison.Ordinal);
        Assert.Contains("b-22-&lt;y&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("b-22-<y>", html, StringComparison.Ordinal);
        Assert.Contains(">lost<", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_NoWorkers_NeitherFigureNorTable()
    {
        var files = await RunReport.WriteAsync(SampleRun.Stream(SampleRun.Create()), _dir, "results.jsonl", cancellationToken: TestContext.Current.CancellationToken);

        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(files.SummaryJsonPath, TestContext.Current.CancellationToken));
        Assert.False(json.RootElement.TryGetProperty("workers", out _));
        Assert.DoesNotContain("<h2>Workers</h2>", await File.ReadAllTextAsync(files.HtmlPath, TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }
}
