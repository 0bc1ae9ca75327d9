using LlmBatch.Redis.Owner;
using LlmBatch.Redis.Tests.TestSupport;

namespace LlmBatch.Redis.Tests.Workers;

/// <summary><c>llmbatch worker</c> as a real child process taking part in a job an in-process owner runs.</summary>
public class RedisWorkerProcessTests
{
    [Fact(Timeout = 90_000)]
    public async Task Worker_KilledMidRun_ItsItemsTakenOverAndResentAtMostItsInFlight()
    {
        var ct = TestContext.Current.CancellationToken;
        const int workerConcurrency = 8;
        await using var scenario = await RedisJobScenario.StartAsync(240, TimeSpan.FromMilliseconds(150), ct);
        var options = scenario.OwnerOptions(concurrency: 4);
        options.Lease = TimeSpan.FromSeconds(2);
        using var worker = CliChild.Start(["worker", "--redis", scenario.Redis.Url, "--concurrency", workerConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var owner = Task.Run(() => RedisBatchJob.RunAsync(options, ct), ct);

        // Kill the worker once it has surely claimed its share and published some.
        while (!worker.Output.Contains("joins job", StringComparison.Ordinal) || scenario.Simulator.GetStats().TotalRequests < 60)
        {
            Assert.False(owner.IsCompleted, "the job ended before the worker could be killed: " + worker.Output);
            await Task.Delay(10, ct);
        }

        await worker.KillAsync();
        var result = await owner;

        Assert.True(result.Completed);
        scenario.AssertEachOnce();
        var resent = scenario.Simulator.GetStats().TotalRequests - scenario.Items;
        Assert.InRange(resent, 0, workerConcurrency);
        Assert.True(result.Reclaimed >= resent, $"re-sent {resent}, taken over {result.Reclaimed}");
        var killed = Assert.Single(result.Workers, w => w.WorkerId != result.Workers.First(o => o.ProcessId == Environment.ProcessId).WorkerId);
        Assert.True(killed.Done > 0);
    }
}
