using System.Diagnostics;
using LlmBatch.Redis.Tests.TestSupport;
using LlmBatch.Simulator;

namespace LlmBatch.Redis.Tests.RateLimiting;

/// <summary>A redis-server killed mid-run and started again: the run waits, sends nothing unmetered, and completes.</summary>
public sealed class RedisRateBudgetOutageTests
{
    [Fact]
    public async Task RunAsync_RedisKilledAndRestartedMidRun_WaitsThenCompletesEveryItem()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisTestServer.StartAsync(ct);
        await using var connection = await RedisServerFixture.Connect(server);
        await using var sim = await SimulatorServer.StartAsync(
            new SimulatorOptions { RequestsPerMinute = 6_000, Latency = TimeSpan.FromMilliseconds(20), PerToken = TimeSpan.Zero, Seed = 5 }, ct);
        using var scenario = new BudgetScenario(sim, connection, "t4:");

        BudgetScenario.EngineRun? watched = null;
        var running = scenario.RunAsync("a", "job", 300, started: r => watched = r, cancellationToken: ct);
        while (watched is null || watched.Answers.Count < 60)
        {
            Assert.False(running.IsCompleted, "the run ended before the kill");
            await Task.Delay(10, ct);
        }

        await server.KillAsync();
        var killed = Stopwatch.GetTimestamp();
        await Task.Delay(1000, ct);
        var restarting = Stopwatch.GetTimestamp();
        await server.StartAgainAsync(ct);
        var run = await running;

        BudgetScenario.AssertAllCorrect(run);
        Assert.True(run.AnsweredBetween(killed, long.MaxValue) > 100, "the kill should come mid-run");

        // Attempts already on the wire come back within their 20 ms; after that nothing goes out until Redis answers.
        Assert.Equal(0, run.AnsweredBetween(killed + (Stopwatch.Frequency / 4), restarting));
        var stats = sim.GetStats();
        Assert.True(stats.RateLimitedRequests < 0.02 * stats.TotalRequests, $"{stats.RateLimitedRequests} of {stats.TotalRequests} requests answered 429");
    }

    [Fact]
    public async Task RunAsync_RedisNeverReachable_SendsNothingAndTheStallTimeoutEndsTheRun()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var nowhere = await RedisServerFixture.ConnectNowhereAsync();
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = TimeSpan.Zero, PerToken = TimeSpan.Zero }, ct);
        using var scenario = new BudgetScenario(sim, nowhere, "t5:");

        var run = await scenario.RunAsync("a", "job", 10, new BatchOptions { StallTimeout = TimeSpan.FromSeconds(1) }, cancellationToken: ct);

        var stalled = Assert.IsType<BatchStalledException>(run.Result.StoppedBy);
        Assert.Contains("the shared rate budget could not be reached", stalled.Message, StringComparison.Ordinal);
        Assert.Empty(run.Lines);
        Assert.Equal(0, sim.GetStats().TotalRequests);
    }
}
