using System.Collections.Concurrent;
using LlmBatch.Redis.Owner;
using LlmBatch.Redis.Tests.TestSupport;
using LlmBatch.Redis.Workers;

namespace LlmBatch.Redis.Tests.Workers;

public class RedisBatchWorkerTests
{
    [Fact(Timeout = 60_000)]
    public async Task RunAsync_JobNamesAKeyVariableThisWorkerLacks_SkipsItSayingSo()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = await RedisJobScenario.StartAsync(40, TimeSpan.FromMilliseconds(20), ct);
        var options = scenario.OwnerOptions();
        options.ApiKeyVariable = "LLMBATCH_TEST_KEY_NOT_HERE";
        var owner = Task.Run(() => RedisBatchJob.RunAsync(options, ct), ct);
        while (!File.Exists(scenario.OutputPath))
        {
            await Task.Delay(10, ct);
        }

        var log = new ConcurrentQueue<string>();
        var status = await RedisBatchWorker.RunAsync(new RedisWorkerOptions { Redis = scenario.Redis.Url, Once = true, Environment = _ => null, Log = log.Enqueue }, ct);
        var result = await owner;

        Assert.Equal(0, status.Done);
        Assert.Contains(log, l => l.Contains("skipping job", StringComparison.Ordinal) && l.Contains("LLMBATCH_TEST_KEY_NOT_HERE is not set in this worker's environment", StringComparison.Ordinal));
        Assert.True(result.Completed);
        scenario.AssertEachOnce();
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_KeyRefusedByTheEndpoint_LeavesTheJobAndItsItemsAreDoneByOthers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = await RedisJobScenario.StartAsync(80, TimeSpan.FromMilliseconds(30), ct, apiKey: "sk-right");
        var options = scenario.OwnerOptions(concurrency: 2);
        options.Provider = LlmBatch.Providers.BatchProviders.Http(scenario.Simulator.BaseUrl, "sk-right");
        var log = new ConcurrentQueue<string>();
        var worker = Task.Run(() => RedisBatchWorker.RunAsync(new RedisWorkerOptions
        {
            Redis = scenario.Redis.Url,
            Once = true,
            Concurrency = 8,
            PollInterval = TimeSpan.FromMilliseconds(20),
            Provider = _ => LlmBatch.Providers.BatchProviders.Http(scenario.Simulator.BaseUrl, "sk-wrong"),
            Log = log.Enqueue,
        }, ct), ct);

        var result = await RedisBatchJob.RunAsync(options, ct);
        var status = await worker;

        Assert.True(result.Completed);
        scenario.AssertEachOnce();
        Assert.Equal(0, status.Done);
        Assert.Contains(log, l => l.Contains("leaves job", StringComparison.Ordinal));
    }
}
