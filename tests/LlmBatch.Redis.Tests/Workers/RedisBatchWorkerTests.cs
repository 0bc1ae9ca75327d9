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
}
