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
    public async Task RunAsync_OwnerAndTwoWorkersOnOneSimulatorLimit_EachOnceFew429sAndHeldToTheLimit()
    {
        // 6,000 RPM with a 1 s bucket: three processes that each learned the limit alone would take three buckets' worth.
        var ct = TestContext.Current.CancellationToken;
        const int items = 400;
        await using var scenario = await RedisJobScenario.StartAsync(items, TimeSpan.FromMilliseconds(40), ct, rpm: 6000);
        using var stopWorkers = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var workers = Enumerable.Range(0, 2).Select(_ => Task.Run(() => RedisBatchWorker.RunAsync(new RedisWorkerOptions { Redis = scenario.Redis.Url, Concurrency = 16, PollInterval = TimeSpan.FromMilliseconds(20) }, stopWorkers.Token), ct)).ToArray();

        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = await RedisBatchJob.RunAsync(scenario.OwnerOptions(concurrency: 16), ct);
        var elapsed = started.Elapsed;
        await stopWorkers.CancelAsync();
        await Task.WhenAll(workers);

        Assert.True(result.Completed);
        scenario.AssertEachOnce();
        var stats = scenario.Simulator.GetStats();
        Assert.True(stats.RateLimitedRequests <= items / 100, $"{stats.RateLimitedRequests} of {stats.TotalRequests} answered 429");

        // 400 requests at 100/s after a 100-request burst take at least 3 s: finishing sooner would mean the three took more than one limit.
        Assert.True(elapsed >= TimeSpan.FromSeconds(2.7), $"took {elapsed}");
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
