using System.Globalization;
using LlmBatch.Redis.Tests.TestSupport;
using LlmBatch.Redis.Workers;

namespace LlmBatch.Redis.Tests.Owner;

/// <summary><c>llmbatch run --redis</c> as a real child process: killed and run again, it resumes the same job.</summary>
public class RedisOwnerProcessTests
{
    [Fact(Timeout = 90_000)]
    public async Task Run_OwnerKilledAndRerun_CollectsWhatWorkersDidAndSendsNothingTwice()
    {
        var ct = TestContext.Current.CancellationToken;
        const int ownerConcurrency = 4;
        await using var scenario = await RedisJobScenario.StartAsync(200, TimeSpan.FromMilliseconds(100), ct);
        using var stopWorker = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var worker = Task.Run(() => RedisBatchWorker.RunAsync(new RedisWorkerOptions { Redis = scenario.Redis.Url, Concurrency = 4, PollInterval = TimeSpan.FromMilliseconds(50) }, stopWorker.Token), ct);
        string[] args =
        [
            "run", scenario.InputPath, "-o", scenario.OutputPath, "--base-url", scenario.Simulator.BaseUrl.ToString(), "--redis", scenario.Redis.Url,
            "--lease", "2s", "--concurrency", ownerConcurrency.ToString(CultureInfo.InvariantCulture), "--progress", "none", "--no-report",
        ];

        using (var first = CliChild.Start(args))
        {
            while (!File.Exists(scenario.OutputPath) || File.ReadLines(scenario.OutputPath).Count() < 60)
            {
                Assert.False(first.Process.HasExited, "the owner ended before it could be killed: " + first.Output);
                await Task.Delay(10, ct);
            }

            await first.KillAsync();
        }

        // The worker goes on meanwhile: its results wait in Redis for the owner's rerun.
        var before = scenario.Simulator.GetStats().TotalRequests;
        while (scenario.Simulator.GetStats().TotalRequests < before + 30)
        {
            await Task.Delay(10, ct);
        }

        // The rerun writes the report: it lists every worker of the job.
        using var second = CliChild.Start([.. args.Where(a => a != "--no-report")]);
        var exit = await second.ExitCodeAsync(ct);
        await stopWorker.CancelAsync();
        await worker;

        Assert.True(exit == 0, second.Output);
        Assert.Contains("resumed", second.Output, StringComparison.Ordinal);
        scenario.AssertEachOnce();
        var resent = scenario.Simulator.GetStats().TotalRequests - scenario.Items;
        Assert.InRange(resent, 0, ownerConcurrency);
        using var summary = System.Text.Json.JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(Path.GetDirectoryName(scenario.OutputPath)!, "summary.json"), ct));
        var workers = summary.RootElement.GetProperty("workers").EnumerateObject().ToList();
        Assert.True(workers.Count >= 2, "the owner and the worker: " + summary.RootElement.GetProperty("workers"));
        Assert.All(workers, w => Assert.Contains(w.Value.GetProperty("state").GetString(), new[] { "left", "lost", "active" }));
        Assert.True(workers.Sum(w => w.Value.GetProperty("done").GetInt64()) > 0);
    }
}
