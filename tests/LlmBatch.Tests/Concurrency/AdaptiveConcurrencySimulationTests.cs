using LlmBatch.Tests.TestSupport;
using LlmBatch.Tests.TestSupport.Servers;
using Microsoft.Extensions.Time.Testing;
using static LlmBatch.Tests.RateLimiting.RateLimitTestData;
using LlmBatch.Providers;

namespace LlmBatch.Tests.Concurrency;

/// <summary>
/// The concurrency controller's trajectory against scripted servers that send no rate-limit headers, on fake time:
/// slot-bound servers that refuse past their slots, servers that queue, a GPU-like server whose throughput has a knee,
/// and a healthy server with random 503 faults. Figures are deterministic; real speed is for bench/run.
/// </summary>
public class AdaptiveConcurrencySimulationTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromMinutes(5);

    /// <summary>Items of each queueing run: enough that a slow start is a small part of it, as in a real batch.</summary>
    private const int Items = 3_000;
    private readonly ITestOutputHelper _output;

    public AdaptiveConcurrencySimulationTests(ITestOutputHelper output) => _output = output;

    private static List<BatchCall> Calls(int n) => Enumerable.Range(0, n).Select(i => Chat($"r{i}", promptTokens: 20, maxTokens: 50)).ToList();

    [Theory]
    [InlineData(SlotOverflow.Reject503)]
    [InlineData(SlotOverflow.Reject429)]
    public void Run_32SlotsRefusingPastThem_KeepsEveryItemNearTheIdealWithFewRefusals(SlotOverflow overflow)
    {
        var time = new FakeTimeProvider();
        var server = new SlotServer(time.GetUtcNow(), slots: 32, firstToken: TimeSpan.FromMilliseconds(200), perTokenMs: 1e-3, tokens: 0, overflow);
        var outcome = ServerSimulation.Run(time, Options(), server, Calls(3_000), s_limit, logger: SimulationLogger.For(time, _output));

        var ideal = TimeSpan.FromSeconds(3_000 * 0.2 / 32);
        SimulationLog.Write(_output, $"{overflow}: efficiency {ideal / outcome.Elapsed:0.000}, overload share {outcome.ThrottledShare:P2}; {outcome}");
        Assert.Equal(3_000, outcome.Succeeded);
        Assert.True(ideal / outcome.Elapsed >= 0.85, $"efficiency {ideal / outcome.Elapsed:0.000}");
        Assert.True(outcome.ThrottledShare < 0.02, $"overload share {outcome.ThrottledShare:P2}");
    }

    [Theory]
    [InlineData(32, 32, 0.0, 0.0, false)]
    [InlineData(64, 24, 0.3, 0.0, false)]
    [InlineData(256, 48, 1.0, 0.0, false)]
    [InlineData(32, 32, 0.0, 0.3, true)]
    [InlineData(256, 32, 0.5, 0.3, true)]
    [InlineData(128, 64, 0.3, 0.3, true)]
    public void Run_ServerThatQueues_HoldsNearTheKneeOfGoodput(int slots, int saturation, double growth, double jitter, bool fixedFirstToken)
    {
        // A sweep of fixed concurrencies finds the best goodput and the latency at the knee, as bench/run does.
        var sweep = new List<(int Concurrency, double Goodput, double Median)>();
        foreach (var c in new[] { 4, 8, 16, 24, 32, 48, 64, 96, 128 })
        {
            var t = new FakeTimeProvider();
            var s = new SlotServer(t.GetUtcNow(), slots, TimeSpan.FromMilliseconds(150), 4, 50, SlotOverflow.Queue, saturation, growth, jitter: jitter, fixedFirstToken: fixedFirstToken);
            var fixedRun = ServerSimulation.Run(t, FixedOptions(c), s, Calls(Items), s_limit);
            sweep.Add((c, Items / fixedRun.Elapsed.TotalSeconds, fixedRun.MedianLatencyMs));
        }

        var best = sweep.Max(p => p.Goodput);
        var knee = sweep.First(p => p.Goodput >= 0.95 * best);

        var time = new FakeTimeProvider();
        var server = new SlotServer(time.GetUtcNow(), slots, TimeSpan.FromMilliseconds(150), 4, 50, SlotOverflow.Queue, saturation, growth, jitter: jitter, fixedFirstToken: fixedFirstToken);
        var outcome = ServerSimulation.Run(time, Options(), server, Calls(Items), s_limit, logger: SimulationLogger.For(time, _output));
        var goodput = Items / outcome.Elapsed.TotalSeconds;

        SimulationLog.Write(_output, $"slots {slots}, knee {saturation}, growth {growth}, jitter {jitter}, fixed first token {fixedFirstToken}: sweep {string.Join(", ", sweep.Select(p => $"{p.Concurrency}:{p.Goodput:0}/s@{p.Median:0}ms"))}; "
            + $"adaptive {goodput:0}/s = {goodput / best:0.000} of best, median {outcome.MedianLatencyMs:0} ms = {outcome.MedianLatencyMs / knee.Median:0.00}x the knee's ({knee.Concurrency}); {outcome}");
        Assert.Equal(Items, outcome.Succeeded);
        Assert.True(goodput >= 0.9 * best, $"goodput {goodput / best:0.000} of best");
        Assert.True(outcome.MedianLatencyMs <= 1.5 * knee.Median, $"median latency {outcome.MedianLatencyMs / knee.Median:0.00}x the knee's");
    }

    [Fact]
    public void Run_HealthyServerWithRandom503Faults_KeepsConcurrencyHigh()
    {
        // 3 % of answers are 503s that come after the normal processing time: faults of those requests, not overload.
        // Judged against the same run at a fixed 256 in flight, which is what the server could take.
        SlotServer Server(FakeTimeProvider t) => new(t.GetUtcNow(), slots: 10_000, firstToken: TimeSpan.FromMilliseconds(400), perTokenMs: 1e-3, tokens: 0, SlotOverflow.Queue, faultRate: 0.03);
        var fixedTime = new FakeTimeProvider();
        var fixedRun = ServerSimulation.Run(fixedTime, FixedOptions(256), Server(fixedTime), Calls(10_000), s_limit);
        var time = new FakeTimeProvider();
        var outcome = ServerSimulation.Run(time, Options(), Server(time), Calls(10_000), s_limit, logger: SimulationLogger.For(time, _output));

        var ratio = fixedRun.Elapsed / outcome.Elapsed;
        SimulationLog.Write(_output, $"random 503: {ratio:0.000} of the speed at a fixed 256; fixed {fixedRun.Elapsed.TotalSeconds:0.0} s; {outcome}");
        Assert.Equal(10_000, outcome.Succeeded);
        Assert.True(ratio >= 0.85, $"{ratio:0.000} of the speed at a fixed 256");
    }

    private static BatchOptions FixedOptions(int concurrency) => new() { MaxConcurrency = 256, Concurrency = concurrency };
}
