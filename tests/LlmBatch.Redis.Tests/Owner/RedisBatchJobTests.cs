using System.Collections.Concurrent;
using LlmBatch.Redis.Owner;
using LlmBatch.Redis.Tests.TestSupport;
using LlmBatch.Redis.Workers;

namespace LlmBatch.Redis.Tests.Owner;

public class RedisBatchJobTests
{
    [Fact(Timeout = 60_000)]
    public async Task RunAsync_OwnerAndTwoWorkers_EachCustomIdOnceAndEveryoneWorked()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = await RedisJobScenario.StartAsync(300, TimeSpan.FromMilliseconds(40), ct);
        using var stopWorkers = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var workers = Enumerable.Range(0, 2).Select(_ => Task.Run(() => RedisBatchWorker.RunAsync(new RedisWorkerOptions { Redis = scenario.Redis.Url, Concurrency = 8, PollInterval = TimeSpan.FromMilliseconds(50) }, stopWorkers.Token), ct)).ToArray();

        var result = await RedisBatchJob.RunAsync(scenario.OwnerOptions(), ct);
        await stopWorkers.CancelAsync();
        var finished = await Task.WhenAll(workers);

        Assert.True(result.Completed);
        scenario.AssertEachOnce();
        Assert.Equal(300, result.Job.Summary.Succeeded);
        Assert.All(finished, w => Assert.True(w.Done > 0, $"worker {w.WorkerId} did nothing"));
        Assert.Equal(3, result.Workers.Count);
        Assert.Equal(300, result.Workers.Sum(w => w.Done));
        Assert.Equal(300, scenario.Simulator.GetStats().TotalRequests);
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_RedisKilledAndRestartedMidJob_CompletesEachOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = await RedisJobScenario.StartAsync(200, TimeSpan.FromMilliseconds(30), ct);
        var log = new ConcurrentQueue<string>();
        var options = scenario.OwnerOptions();
        options.Log = log.Enqueue;
        var owner = Task.Run(() => RedisBatchJob.RunAsync(options, ct), ct);

        while (scenario.Simulator.GetStats().TotalRequests < 60)
        {
            await Task.Delay(10, ct);
        }

        await scenario.Redis.KillAsync();
        await Task.Delay(1500, ct);
        await scenario.Redis.StartAgainAsync(ct);
        var result = await owner;

        Assert.True(result.Completed);
        scenario.AssertEachOnce();
        Assert.Contains(log, l => l.Contains("does not answer", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("answers again", StringComparison.Ordinal));
    }
}
