using System.Text;
using System.Text.Json;
using LlmBatch.Output;

namespace LlmBatch.Reporting.Tests;

public sealed class RunReportFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "llmbatch-reportfile-" + Guid.NewGuid().ToString("N"));

    public RunReportFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task WriteAsync_OutputFile_FiguresEqualThoseRecomputedFromTheFile()
    {
        var results = SampleRun.Create(500);
        var path = Path.Combine(_dir, "results.jsonl");
        await File.WriteAllTextAsync(path, ToJsonl(results) + """{"id":"batch_req_torn","custom_id":"to""", TestContext.Current.CancellationToken);

        var files = await RunReport.WriteAsync(path, Path.Combine(_dir, "report"), cancellationToken: TestContext.Current.CancellationToken);

        // The same figures as a builder fed the results directly: nothing lost in the file's round trip.
        var expected = new RunSummaryBuilder();
        results.ForEach(expected.Add);
        var e = expected.Build();
        var s = files.Summary;
        Assert.Equal(e.Total, s.Total);
        Assert.Equal(e.Succeeded, s.Succeeded);
        Assert.Equal(e.FailedByCode.OrderBy(p => p.Key), s.FailedByCode.OrderBy(p => p.Key));
        Assert.Equal(e.StatusCounts.OrderBy(p => p.Key), s.StatusCounts.OrderBy(p => p.Key));
        Assert.Equal(e.Attempts, s.Attempts);
        Assert.Equal(e.RateLimited, s.RateLimited);
        Assert.Equal(e.PromptTokens, s.PromptTokens);
        Assert.Equal(e.CompletionTokens, s.CompletionTokens);
        Assert.Equal(e.WallTime, s.WallTime);
        Assert.Equal(e.LatencyP95Ms, s.LatencyP95Ms);
        Assert.Equal(e.LimiterWaitMs, s.LimiterWaitMs, 6);

        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(files.SummaryJsonPath, TestContext.Current.CancellationToken));
        Assert.Equal("results.jsonl", json.RootElement.GetProperty("source").GetString());
        Assert.Equal(e.Total, json.RootElement.GetProperty("items").GetProperty("total").GetInt64());
        Assert.True(File.Exists(files.HtmlPath));
    }

    [Fact]
    public async Task WriteAsync_SkippedInputs_CountedInSummaryAndListedWithReasons()
    {
        var options = new RunReportOptions { SkippedInputs = [new("img/logo.png", "binary file (it holds NUL bytes), not text"), new("secret.pdf", "encrypted PDF (it needs a password)")] };

        var files = await RunReport.WriteAsync(SampleRun.Stream(SampleRun.Create(20)), _dir, "chunks.jsonl", options, TestContext.Current.CancellationToken);

        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(files.SummaryJsonPath, TestContext.Current.CancellationToken));
        Assert.Equal(2, json.RootElement.GetProperty("inputs").GetProperty("skipped").GetInt64());
        var html = await File.ReadAllTextAsync(files.HtmlPath, TestContext.Current.CancellationToken);
        Assert.Contains("Skipped input files", html, StringComparison.Ordinal);
        Assert.Contains("secret.pdf", html, StringComparison.Ordinal);
        Assert.Contains("encrypted PDF (it needs a password)", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_ItemFileRun_NoSkippedInputsFigure()
    {
        var files = await RunReport.WriteAsync(SampleRun.Stream(SampleRun.Create(20)), _dir, "results.jsonl", cancellationToken: TestContext.Current.CancellationToken);

        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(files.SummaryJsonPath, TestContext.Current.CancellationToken));
        Assert.False(json.RootElement.TryGetProperty("inputs", out _));
        Assert.DoesNotContain("Skipped input files", await File.ReadAllTextAsync(files.HtmlPath, TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_ProviderOutputWithoutOurKey_CountsOutcomes()
    {
        var path = Path.Combine(_dir, "provider.jsonl");
        await File.WriteAllTextAsync(path, """
            {"id":"batch_req_1","custom_id":"a","response":{"status_code":200,"request_id":"r1","body":{"usage":{"prompt_tokens":3,"completion_tokens":4}}},"error":null}
            {"id":"batch_req_2","custom_id":"b","response":null,"error":{"code":"batch_expired","message":"expired"}}

            """, TestContext.Current.CancellationToken);

        var files = await RunReport.WriteAsync(path, _dir, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, files.Summary.Total);
        Assert.Equal(1, files.Summary.Succeeded);
        Assert.Equal(1, files.Summary.FailedByCode["batch_expired"]);
    }

    // The output format of docs/formats.md, written independently of the library's writer.
    private static string ToJsonl(IEnumerable<BatchResult> results)
    {
        var text = new StringBuilder();
        foreach (var r in results)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("id", r.Id);
                w.WriteString("custom_id", r.CustomId);
                if (r.StatusCode == 0)
                {
                    w.WriteNull("response");
                }
                else
                {
                    w.WriteStartObject("response");
                    w.WriteNumber("status_code", r.StatusCode);
                    w.WriteNull("request_id");
                    w.WriteStartObject("body");
                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                if (r.Error is null)
                {
                    w.WriteNull("error");
                }
                else
                {
                    w.WriteStartObject("error");
                    w.WriteString("code", r.Error.Code);
                    w.WriteString("message", r.Error.Message);
                    w.WriteEndObject();
                }

                var s = r.Stats;
                w.WriteStartObject("llmbatch");
                w.WriteNumber("attempts", s.Attempts);
                w.WriteStartArray("statuses");
                foreach (var status in s.Statuses)
                {
                    w.WriteNumberValue(status);
                }

                w.WriteEndArray();
                w.WriteString("started_at", s.StartedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"));
                w.WriteString("finished_at", s.FinishedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"));
                w.WriteNumber("latency_ms", s.LatencyMs);
                w.WriteNumber("limiter_wait_ms", s.LimiterWaitMs);
                w.WriteNumber("prompt_tokens", s.PromptTokens);
                w.WriteNumber("completion_tokens", s.CompletionTokens);
                w.WriteBoolean("usage_reported", s.UsageReported);
                w.WriteString("model", s.Model);
                w.WriteNumber("line", r.LineNumber);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            text.Append(Encoding.UTF8.GetString(buffer.ToArray())).Append('\n');
        }

        return text.ToString();
    }
}
