using System.Diagnostics;
using System.Net;
using LlmBatch.Cli.Commands;
using LlmBatch.Simulator;

namespace LlmBatch.Cli.Tests.Commands;

public class SimulateCommandTests
{
    [Fact]
    public void BuildOptions_FlagsOverrideScenarioOverrideDefaults()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sim-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"requestsPerMinute": 100, "latency": "1s", "p500": 0.1}""");
        try
        {
            var options = SimulateCommand.BuildOptions(new SimulateCommand.Settings { Scenario = path, Rpm = 600, PerToken = TimeSpan.FromMilliseconds(5), Overflow = SimulatorOverflow.Reject });
            Assert.Equal(600, options.RequestsPerMinute);
            Assert.Equal(TimeSpan.FromSeconds(1), options.Latency);
            Assert.Equal(TimeSpan.FromMilliseconds(5), options.PerToken);
            Assert.Equal(0.1, options.P500);
            Assert.Equal(SimulatorOverflow.Reject, options.Overflow);
            Assert.Equal(8089, options.Port);
            Assert.Equal("127.0.0.1", options.Host);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void BuildOptions_BatchApiFlagsOverTheScenario_Applied()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sim-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"batch-duration": "1m", "batchEnqueuedTokens": 5000, "pBatchItemError": 0.01}""");
        try
        {
            var options = SimulateCommand.BuildOptions(new SimulateCommand.Settings
            {
                Scenario = path, BatchDuration = TimeSpan.FromSeconds(20), BatchApiLatency = TimeSpan.FromMilliseconds(250), PBatchExpire = 0.5, BatchExpireUnrun = 0.2, PBatchFail = 0.1,
            });
            Assert.Equal(TimeSpan.FromSeconds(20), options.BatchDuration);
            Assert.Equal(TimeSpan.FromMilliseconds(250), options.BatchApiLatency);
            Assert.Equal(5000, options.BatchEnqueuedTokens);
            Assert.Equal((0.5, 0.2, 0.1, 0.01), (options.PBatchExpire, options.BatchExpireUnrun, options.PBatchFail, options.PBatchItemError));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void BuildOptions_BatchFaultsOverOne_Error()
    {
        var ex = Assert.Throws<BatchOptionsException>(() =>
            SimulateCommand.BuildOptions(new SimulateCommand.Settings { PBatchFail = 0.6, PBatchExpire = 0.6, BatchDuration = TimeSpan.Zero }));
        Assert.Contains(ex.Problems, p => p.Contains("PBatchFail and PBatchExpire", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.StartsWith("BatchDuration", StringComparison.Ordinal));
    }

    [Fact]
    public void BuildOptions_BadValues_OneErrorListingEach()
    {
        var ex = Assert.Throws<BatchOptionsException>(() =>
            SimulateCommand.BuildOptions(new SimulateCommand.Settings { P503 = 1.5, SaturationGrowth = -1 }));
        Assert.Contains(ex.Problems, p => p.Contains("P503"));
        Assert.Contains(ex.Problems, p => p.Contains("SaturationGrowth"));
    }

    [Theory]
    [InlineData("--overflow", "drop", "must be queue, reject or reject-429")]
    [InlineData("--window-kind", "sliding", "must be bucket or fixed")]
    [InlineData("--per-token", "3", "is not a duration with its unit (write it like 400ms, 1.5s or 2m)")]
    [InlineData("--rpm", "many", "is not a valid whole number")]
    public async Task RunAsync_BadFlagValue_Exit2NamingTheFlagAndTheForm(string flag, string value, string expected)
    {
        var (code, _, stderr) = await CliProcess.RunAsync(["simulate", flag, value], TestContext.Current.CancellationToken);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Equal($"llmbatch: {flag}: '{value}' {expected}", stderr.Trim());
    }

    [Fact]
    public async Task Simulate_Process_PrintsUrlFirstServesAndPrintsStatsOnSigterm()
    {
        using var process = Start("simulate", "--port", "0", "--latency", "0", "--per-token", "0");
        var first = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken);
        Assert.NotNull(first);
        Assert.StartsWith("Simulator listening on http://127.0.0.1:", first);
        var url = first["Simulator listening on ".Length..];
        Assert.EndsWith("/v1", url);

        using (var client = new HttpClient())
        {
            using var response = await client.PostAsync(
                url + "/chat/completions",
                new StringContent("""{"model":"m","messages":[{"role":"user","content":"hi"}]}"""),
                TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]))
        {
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        var rest = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("/v1/chat/completions 200", rest);
        Assert.Contains("duplicate successes", rest);
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("400")]
    public async Task Simulate_BadDuration_Exit2WithMessage(string latency)
    {
        using var process = Start("simulate", "--latency", latency);
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, process.ExitCode);
        Assert.Contains($"--latency: '{latency}' is not a duration", error);
        Assert.DoesNotContain("   at ", error);
    }

    private static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "LlmBatch.Cli.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info)!;
    }
}
