using System.Text.Json;

namespace LlmBatch.Cli.Tests.Commands;

public sealed class ReportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("llmbatch-cli-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Report_OutputFile_WritesSummaryAndHtml()
    {
        var output = Path.Combine(_dir, "results.jsonl");
        await File.WriteAllTextAsync(output, """
            {"id":"batch_req_1","custom_id":"a1","response":{"status_code":200,"request_id":"req_1","body":{"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}},"error":null,"llmbatch":{"attempts":2,"statuses":[429,200],"started_at":"2026-11-28T03:00:00.000Z","finished_at":"2026-11-28T03:00:02.000Z","latency_ms":412.5,"limiter_wait_ms":3.1,"prompt_tokens":9,"completion_tokens":12,"usage_reported":true,"model":"gpt-4o-mini","line":1}}
            {"id":"batch_req_2","custom_id":"a2","response":{"status_code":400,"request_id":null,"body":{"error":{"message":"bad"}}},"error":{"code":"http_400","message":"bad"},"llmbatch":{"attempts":1,"statuses":[400],"started_at":"2026-11-28T03:00:01.000Z","finished_at":"2026-11-28T03:00:01.500Z","latency_ms":100,"limiter_wait_ms":0,"prompt_tokens":5,"completion_tokens":0,"usage_reported":false,"model":"gpt-4o-mini","line":2}}

            """, TestContext.Current.CancellationToken);
        var prices = Path.Combine(_dir, "prices.json");
        await File.WriteAllTextAsync(prices, """{"gpt-4o-mini":{"input_per_1m":1000000,"output_per_1m":2000000}}""", TestContext.Current.CancellationToken);
        var reportDir = Path.Combine(_dir, "report");

        var exit = await CliApp.RunAsync(["report", output, "--out", reportDir, "--prices", prices]);

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(reportDir, "summary.json"), TestContext.Current.CancellationToken));
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("items").GetProperty("total").GetInt64());
        Assert.Equal(1, root.GetProperty("failed_by_code").GetProperty("http_400").GetInt64());
        Assert.Equal(1, root.GetProperty("requests").GetProperty("rate_limited").GetInt64());
        Assert.Equal(2.0, root.GetProperty("wall_time_s").GetDouble());

        // 14 prompt tokens at $1 each and 12 completion tokens at $2 each, from the override file.
        Assert.Equal(38m, root.GetProperty("cost").GetProperty("total").GetDecimal());
        Assert.True(File.Exists(Path.Combine(reportDir, "report.html")));
    }

    [Fact]
    public async Task Report_MissingFile_ExitsWithUsageError()
    {
        var exit = await CliApp.RunAsync(["report", Path.Combine(_dir, "nope.jsonl")]);
        Assert.Equal(2, exit);
    }

    [Fact]
    public async Task Report_BadPriceFile_ExitsWithUsageError()
    {
        var output = Path.Combine(_dir, "results.jsonl");
        await File.WriteAllTextAsync(output, "", TestContext.Current.CancellationToken);
        var prices = Path.Combine(_dir, "prices.json");
        await File.WriteAllTextAsync(prices, """{"m":{"input_per_1m":"cheap"}}""", TestContext.Current.CancellationToken);
        var exit = await CliApp.RunAsync(["report", output, "--prices", prices]);
        Assert.Equal(2, exit);
    }
}
