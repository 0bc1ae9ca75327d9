using System.Diagnostics;
using System.Text.Json;
using LlmBatch.Providers;
using LlmBatch.Simulator;

namespace LlmBatch.Cli.Tests.Commands;

/// <summary>
/// The engine and the CLI against the simulator over real loopback sockets: a rate-limited provider, a faulty one,
/// and a crash (kill -9 of a real CLI process) followed by a rerun.
/// </summary>
public sealed class RunIntegrationTests : TempDirTest
{
    private string WriteInput(int count, Func<int, string>? content = null)
    {
        var path = Path.Combine(Dir, "requests.jsonl");
        using var w = new StreamWriter(path);
        for (var i = 0; i < count; i++)
        {
            var body = JsonSerializer.Serialize(new
            {
                model = "gpt-4o-mini",
                messages = new[] { new { role = "user", content = content?.Invoke(i) ?? $"Say something about item {i}." } },
                max_tokens = 32,
            });
            w.WriteLine($$$"""{"custom_id":"item-{{{i}}}","method":"POST","url":"/v1/chat/completions","body":{{{body}}}}""");
        }

        return path;
    }

    internal static List<JsonElement> ReadOutput(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    internal static void AssertOneCorrectLinePerId(List<JsonElement> lines, int count)
    {
        Assert.Equal(count, lines.Count);
        Assert.Equal(count, lines.Select(l => l.GetProperty("custom_id").GetString()).Distinct().Count());
        foreach (var line in lines)
        {
            Assert.Equal(JsonValueKind.Null, line.GetProperty("error").ValueKind);
            var response = line.GetProperty("response");
            Assert.Equal(200, response.GetProperty("status_code").GetInt32());
            var content = response.GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
            Assert.False(string.IsNullOrEmpty(content));
        }
    }

    [Fact]
    public async Task Run_RateLimitedServerLimitsLearnedFromHeaders_AllCorrectFew429()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { RequestsPerMinute = 6000, Latency = TimeSpan.FromMilliseconds(50), Seed = 1 }, TestContext.Current.CancellationToken);
        var input = WriteInput(300);
        var output = Path.Combine(Dir, "results.jsonl");
        var engine = new BatchEngineBuilder(BatchProviders.Http(sim.BaseUrl, "sk-test")).Build();

        var result = await BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = input, OutputPath = output }, TestContext.Current.CancellationToken);

        AssertOneCorrectLinePerId(ReadOutput(output), 300);
        var stats = sim.GetStats();
        Assert.Equal(300, result.Summary.Succeeded);
        // The benchmark holds the 1 % target over 3,000 requests; a loose bound keeps this test honest on a noisy machine.
        Assert.True(stats.RateLimitedRequests < 15, $"{stats.RateLimitedRequests} requests answered 429");
        Assert.Equal(0, stats.DuplicateSuccesses);
        Assert.NotNull(engine.GetProgress().RequestsPerMinuteLimit);
    }

    [Fact]
    public async Task Run_FaultyServer_EveryItemEndsWithOneCorrectLine()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Latency = TimeSpan.FromMilliseconds(20),
            Seed = 7,
            P500 = 0.05,
            P503 = 0.03,
            PTruncate = 0.02,
            PReset = 0.02,
            PHang = 0.01,
            HangDuration = TimeSpan.FromSeconds(60),
        }, TestContext.Current.CancellationToken);
        var input = WriteInput(400);
        var output = Path.Combine(Dir, "results.jsonl");
        var options = new BatchOptions { AttemptTimeoutFloor = TimeSpan.FromSeconds(1), RetryBaseDelay = TimeSpan.FromMilliseconds(50), MaxAttempts = 10 };
        var engine = new BatchEngineBuilder(BatchProviders.Http(sim.BaseUrl, null)).WithOptions(options).Build();

        var watch = Stopwatch.StartNew();
        var result = await BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = input, OutputPath = output }, TestContext.Current.CancellationToken);

        AssertOneCorrectLinePerId(ReadOutput(output), 400);
        var stats = sim.GetStats();
        Assert.True(stats.Faults.Values.Sum() > 20, "the simulator injected faults");
        Assert.True(result.Summary.Retries >= stats.Faults.Values.Sum() - 5);
        // Hangs last a minute; the adaptive timeout gives up on them long before.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(45), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Run_KilledMidRunThenRerun_NoIdLostOrDuplicatedAndFewResent()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { RequestsPerMinute = 3000, Latency = TimeSpan.FromMilliseconds(100), Seed = 3 }, TestContext.Current.CancellationToken);
        var input = WriteInput(400);
        var output = Path.Combine(Dir, "results.jsonl");
        const int maxConcurrency = 16;
        string[] args = ["run", input, "-o", output, "--base-url", sim.BaseUrl.ToString(), "--rpm", "3000", "--max-concurrency", maxConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture)];

        using (var first = CliProcess.Start(args))
        {
            // Kill once some results are on disk, at a moment nobody chose to be convenient.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline && (!File.Exists(output) || File.ReadAllLines(output).Length < 60))
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }

            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        var afterKill = File.ReadAllLines(output).Length;
        Assert.InRange(afterKill, 60, 399);

        using (var second = CliProcess.Start(args))
        {
            await second.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, second.ExitCode);
        }

        AssertOneCorrectLinePerId(ReadOutput(output), 400);
        var stats = sim.GetStats();
        // Re-sent = answered successfully twice. Only requests in flight at the kill can be re-sent.
        Assert.InRange(stats.DuplicateSuccesses, 0, maxConcurrency);

        // The rerun folded its own results as it wrote them and read back only the first run's lines (after the
        // repair of a line the kill tore): its report has every item's figures as `llmbatch report` finds them.
        var rebuilt = Path.Combine(Dir, "rebuilt");
        var (code, _, stderr) = await CliProcess.RunAsync(["report", output, "--out", rebuilt], TestContext.Current.CancellationToken);
        Assert.True(code == 0, stderr);

        using var run = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(Dir, "summary.json"), TestContext.Current.CancellationToken));
        using var file = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(rebuilt, "summary.json"), TestContext.Current.CancellationToken));
        Assert.Equal(400, run.RootElement.GetProperty("items").GetProperty("total").GetInt32());
        foreach (var part in (string[])["items", "requests", "status_counts", "tokens", "latency_ms"])
        {
            Assert.Equal(file.RootElement.GetProperty(part).GetRawText(), run.RootElement.GetProperty(part).GetRawText());
        }
    }

    [Fact]
    public async Task Run_TinyMaxMemoryStderrRedirected_EveryItemDonePlainProgressAndReportHasPeakAndPause()
    {
        // 16 MB is far below any .NET process at rest: intake must pause, then go on, and lose nothing.
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = TimeSpan.FromMilliseconds(5), Seed = 4 }, TestContext.Current.CancellationToken);
        var input = WriteInput(300);
        var output = Path.Combine(Dir, "results.jsonl");
        using var p = CliProcess.Start(["run", input, "-o", output, "--base-url", sim.BaseUrl.ToString(), "--max-memory", "16MB", "--max-concurrency", "16"]);
        var stderr = await p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await p.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {stderr}");
        AssertOneCorrectLinePerId(ReadOutput(output), 300);
        Assert.Equal(0, sim.GetStats().DuplicateSuccesses);
        using var summary = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(Dir, "summary.json"), TestContext.Current.CancellationToken));
        var memory = summary.RootElement.GetProperty("memory");
        Assert.True(memory.GetProperty("peak_bytes").GetInt64() > 16L * 1024 * 1024);
        Assert.True(memory.GetProperty("intake_paused_s").GetDouble() > 0, memory.ToString());
        Assert.Equal(300, summary.RootElement.GetProperty("items").GetProperty("succeeded").GetInt64());

        // Redirected, so plain progress lines (not a live panel) on stderr, the last one with the pause in it.
        var last = stderr.Split('\n').Last(l => l.Contains("| finished", StringComparison.Ordinal));
        Assert.Contains("300/300 (100.0%) ok 300 failed 0", last, StringComparison.Ordinal);
        Assert.Contains("intake paused", last, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WrongKey_StopsEarlyExit2AndRecordsNothing()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { ApiKey = "sk-right", Latency = TimeSpan.Zero }, TestContext.Current.CancellationToken);
        var input = WriteInput(200);
        var output = Path.Combine(Dir, "results.jsonl");
        using var p = CliProcess.Start(["run", input, "-o", output, "--base-url", sim.BaseUrl.ToString()], ("OPENAI_API_KEY", "sk-wrong-secret"));
        var stderr = await p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await p.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, p.ExitCode);
        Assert.Contains("401", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-wrong-secret", stderr, StringComparison.Ordinal);
        Assert.True(!File.Exists(output) || File.ReadAllLines(output).Length == 0);
        Assert.True(sim.GetStats().TotalRequests < 50);
    }
}
