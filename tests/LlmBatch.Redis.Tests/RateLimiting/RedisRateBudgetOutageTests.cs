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

        var running = scenario.RunAsync("a", "job", 300, cancellationToken: ct);
        await Task.Delay(800, ct);
        await server.KillAsync();
        var killed = Stopwatch.GetTimestamp();
        await Task.Delay(1000, ct);
        var restarting = Stopwatch.GetTimestamp();
        await server.StartAgainAsync(ct);
        var run = await running;

        BudgetScenario.AssertAllCorrect(run);
        Assert.True(run.AnsweredBetween(0, killed) > 20, "the kill should come mid-run");

        // Attempts already on the wire come back within their 20 ms; after that nothing goes out until Redis answers.
        Assert.Equal(0, run.AnsweredBetween(killed + (Stopwatch.Frequency / 4), restarting));
        var stats = sim.GetStats();
        Assert.True(stats.RateLimitedRequests < 0.02 * stats.TotalRequests, $"{stats.RateLimitedRequests} of {stats.TotalRequests} requests answered 429");
    }
}
