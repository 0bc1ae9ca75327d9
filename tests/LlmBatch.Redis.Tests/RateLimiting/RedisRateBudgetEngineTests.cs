using System.Diagnostics;
using LlmBatch.Redis.RateLimiting;
using LlmBatch.Redis.Tests.TestSupport;
using LlmBatch.Simulator;

namespace LlmBatch.Redis.Tests.RateLimiting;

/// <summary>
/// Engines built by separate builders (each its own controller and budget, as separate processes would be) sharing
/// one simulator's limit through a budget in a real redis-server.
/// </summary>
public sealed class RedisRateBudgetEngineTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static SimulatorOptions Limited(int rpm) =>
        new() { RequestsPerMinute = rpm, Latency = TimeSpan.FromMilliseconds(20), LatencyJitter = 0.2, PerToken = TimeSpan.Zero, Seed = rpm };

    [Fact]
    public async Task RunAsync_TwoEnginesOfOneJobShareOneLimit_AllCorrectUnderOnePercent429AndKeyNeverStored()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sim = await SimulatorServer.StartAsync(Limited(12_000), ct);
        using var scenario = new BudgetScenario(sim, redis.Redis, "t1:");

        var runs = await Task.WhenAll(
            scenario.RunAsync("a", "job", 300, cancellationToken: ct),
            scenario.RunAsync("b", "job", 300, cancellationToken: ct));

        foreach (var run in runs)
        {
            BudgetScenario.AssertAllCorrect(run);
        }

        var stats = sim.GetStats();
        Assert.True(stats.RateLimitedRequests < 0.01 * stats.TotalRequests, $"{stats.RateLimitedRequests} of {stats.TotalRequests} requests answered 429");

        var dump = await scenario.DumpAsync();
        Assert.Contains("t1:budget:{127.0.0.1:", dump, StringComparison.Ordinal);
        Assert.Contains(RedisBudgetKey.KeyHash(BudgetScenario.ApiKey), dump, StringComparison.Ordinal);
        Assert.DoesNotContain(BudgetScenario.ApiKey, dump, StringComparison.Ordinal);
        Assert.DoesNotContain(BudgetScenario.ApiKey[3..15], dump, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TwoJobsStartedIndependently_EachWithinTwentyPercentOfHalf()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sim = await SimulatorServer.StartAsync(Limited(12_000), ct);
        using var scenario = new BudgetScenario(sim, redis.Redis, "t2:");

        var first = scenario.RunAsync("a", "job-a", 400, cancellationToken: ct);
        await Task.Delay(300, ct);
        var second = scenario.RunAsync("b", "job-b", 400, cancellationToken: ct);
        var runs = await Task.WhenAll(first, second);

        foreach (var run in runs)
        {
            BudgetScenario.AssertAllCorrect(run);
        }

        // While both take: from a moment after the second's first answer to the first finish.
        var from = runs[1].Answers.Min() + Stopwatch.Frequency / 2;
        var to = Math.Min(runs[0].Finished, runs[1].Finished);
        var a = runs[0].AnsweredBetween(from, to);
        var b = runs[1].AnsweredBetween(from, to);
        var shareA = a / (double)(a + b);
        TestContext.Current.TestOutputHelper?.WriteLine($"while both ran: a {a}, b {b} answers (a's share {shareA:P1})");
        Assert.True(a + b > 200, $"only {a + b} answers while both ran");
        Assert.InRange(shareA, 0.4, 0.6);

        var stats = sim.GetStats();
        Assert.True(stats.RateLimitedRequests < 0.01 * stats.TotalRequests, $"{stats.RateLimitedRequests} of {stats.TotalRequests} requests answered 429");
    }

    [Fact]
    public async Task RunAsync_SecondEngineAfterTheFirstLearned_StartsAtTheLearnedRateWithout429s()
    {
        var ct = TestContext.Current.CancellationToken;

        // 600 RPM enforced over one second: 10 requests at once. An engine that knows nothing sends its first 16 blind.
        await using var sim = await SimulatorServer.StartAsync(Limited(600), ct);
        using var scenario = new BudgetScenario(sim, redis.Redis, "t3:");

        var blind = await scenario.RunAsync("a", "job-a", 20, cancellationToken: ct);
        var informed = await scenario.RunAsync("b", "job-b", 20, cancellationToken: ct);

        BudgetScenario.AssertAllCorrect(blind);
        BudgetScenario.AssertAllCorrect(informed);
        // Knowing nothing, an engine sends its first 16 at once; knowing 10/s, the second spreads them over 1.5 s.
        var spread = SpreadOfFirst(informed, 16);
        var why = $"429s: first engine {blind.Result.Summary.RateLimited}, second {informed.Result.Summary.RateLimited}; " +
            $"first 16 answers within {SpreadOfFirst(blind, 16).TotalSeconds:0.00} s and {spread.TotalSeconds:0.00} s";
        TestContext.Current.TestOutputHelper?.WriteLine(why);
        Assert.True(spread > TimeSpan.FromSeconds(1), why);
        Assert.True(informed.Result.Summary.RateLimited == 0, why);
    }

    private static TimeSpan SpreadOfFirst(BudgetScenario.EngineRun run, int count)
    {
        var answers = run.Answers.Order().Take(count).ToList();
        return Stopwatch.GetElapsedTime(answers[0], answers[^1]);
    }
}
