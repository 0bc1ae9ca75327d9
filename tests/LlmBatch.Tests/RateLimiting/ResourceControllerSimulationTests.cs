using LlmBatch.Tests.TestSupport;
using LlmBatch.Tests.TestSupport.Servers;
using Microsoft.Extensions.Time.Testing;
using static LlmBatch.Tests.RateLimiting.RateLimitTestData;
using LlmBatch.Providers;

namespace LlmBatch.Tests.RateLimiting;

/// <summary>
/// Whole runs against models of real rate limiters on fake time. These check the controller's logic (does it keep a
/// tight limit busy without overrunning it, whatever the headers say?) deterministically; real speed is for the
/// benchmarks (bench/run).
/// </summary>
public class ResourceControllerSimulationTests
{
    private static readonly TimeSpan s_latency = TimeSpan.FromMilliseconds(400);
    private readonly ITestOutputHelper _output;

    public ResourceControllerSimulationTests(ITestOutputHelper output) => _output = output;

    private static List<BatchCall> Calls(int n) => Enumerable.Range(0, n).Select(i => Chat($"r{i}", promptTokens: 20, maxTokens: 50)).ToList();

    [Theory]
    [InlineData(true, 500)]
    [InlineData(false, 500)]
    [InlineData(true, 1500)]
    [InlineData(false, 1500)]
    public void Run_HeadersDescribeTheEnforcedBucket_NoRejectionsAndNearIdealTime(bool rpmFlag, int latencyMs)
    {
        var time = new FakeTimeProvider();
        var limiter = new FakeRateLimitedServer(time, requestsPerMinute: 6_000, tokensPerMinute: 100_000_000);
        var server = new InstantServer(limiter.Handle, TimeSpan.FromMilliseconds(latencyMs));
        var outcome = ServerSimulation.Run(time, Options(rpm: rpmFlag ? 6_000 : null), server, Calls(3_000), TimeSpan.FromMinutes(2));

        // Ideal: the server's one-second burst at once, the rest at the rate, the last answer one latency later.
        // Without a flag the limit is known only when the first answers come back: one more latency.
        var ideal = TimeSpan.FromSeconds(29 + (latencyMs / 1000.0 * (rpmFlag ? 1 : 2)));
        SimulationLog.Write(_output, $"rpm flag {rpmFlag}, latency {latencyMs} ms: efficiency {ideal / outcome.Elapsed:0.000}; {outcome}");
        Assert.Equal(3_000, outcome.Succeeded);
        Assert.True(outcome.RateLimited <= 3, $"{outcome.RateLimited} answered 429");
        Assert.True(ideal / outcome.Elapsed >= 0.95, $"efficiency {ideal / outcome.Elapsed:0.000}");
    }

    [Theory]
    [InlineData(false, 1.0)]
    [InlineData(true, 1.0)]
    [InlineData(false, 0.1)]
    [InlineData(true, 10.0)]
    public void Run_PerMinuteHeadersShortEnforcementWindow_LearnsTheWindowWithFewRejections(bool fixedWindows, double windowSeconds)
    {
        // OpenAI's quantised enforcement: 6,000 RPM in headers, enforced as a short window the headers never show.
        var time = new FakeTimeProvider();
        var server = new QuantizedRateServer(time.GetUtcNow(), 6_000, TimeSpan.FromSeconds(windowSeconds), s_latency, fixedWindows);
        var outcome = ServerSimulation.Run(time, Options(), server, Calls(3_000), TimeSpan.FromMinutes(2));

        // Ideal: at most a second's burst (a longer window's burst is not announced, and a flag would not use it
        // either), the rest at the rate, the last answer one latency later.
        var burst = 100 * Math.Min(1, windowSeconds);
        var ideal = TimeSpan.FromSeconds(((3_000 - burst) / 100) + s_latency.TotalSeconds);
        SimulationLog.Write(_output, $"{(fixedWindows ? "fixed" : "bucket")} window {windowSeconds} s: efficiency {ideal / outcome.Elapsed:0.000}, 429 share {(double)outcome.RateLimited / outcome.Attempts:P2}; {outcome}");
        Assert.Equal(3_000, outcome.Succeeded);
        Assert.True(outcome.RateLimited < 0.01 * outcome.Attempts, $"{outcome.RateLimited} of {outcome.Attempts} answered 429");
        Assert.True(ideal / outcome.Elapsed >= 0.95, $"efficiency {ideal / outcome.Elapsed:0.000}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Run_NeighbourSpendsThirtyPercentOfTheKey_YieldsItsShareWithFewRejections(bool fixedWindows)
    {
        var time = new FakeTimeProvider();
        var server = new QuantizedRateServer(time.GetUtcNow(), 6_000, TimeSpan.FromSeconds(1), s_latency, fixedWindows, neighbourShare: 0.3);
        var outcome = ServerSimulation.Run(time, Options(), server, Calls(3_000), TimeSpan.FromMinutes(3));

        // Ideal: 70 requests a second are left for this client.
        var ideal = TimeSpan.FromSeconds(((3_000 - 70) / 70.0) + s_latency.TotalSeconds);
        SimulationLog.Write(_output, $"{(fixedWindows ? "fixed" : "bucket")}: efficiency {ideal / outcome.Elapsed:0.000}, 429 share {(double)outcome.RateLimited / outcome.Attempts:P2}; {outcome}");
        Assert.Equal(3_000, outcome.Succeeded);
        Assert.True(outcome.RateLimited < 0.02 * outcome.Attempts, $"{outcome.RateLimited} of {outcome.Attempts} answered 429");
        Assert.True(ideal / outcome.Elapsed >= 0.85, $"efficiency {ideal / outcome.Elapsed:0.000}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Run_TokenBoundWithUnusedMaxTokens_FewRejectionsAndNearIdealThroughput(bool tpmFlag)
    {
        // 600,000 TPM is 10,000 tokens a second; requests reserve 100-900 prompt + 700 max, use 50 of the 700,
        // and the server never refunds: the client's refunds must be undone by what the headers say.
        var time = new FakeTimeProvider();
        var limiter = new FakeRateLimitedServer(time, requestsPerMinute: 100_000, tokensPerMinute: 600_000, completionTokens: 50);
        var server = new InstantServer(limiter.Handle, TimeSpan.FromMilliseconds(800));
        var random = new Random(42);
        var calls = Enumerable.Range(0, 1_000).Select(i => Chat($"r{i}", promptTokens: random.Next(100, 900), maxTokens: 700)).ToList();
        var outcome = ServerSimulation.Run(time, Options(tpm: tpmFlag ? 600_000 : null), server, calls, TimeSpan.FromMinutes(5));

        // Ideal: every charged token at the full rate, less the burst the server starts with.
        var ideal = TimeSpan.FromSeconds((limiter.TokensCharged - 10_000) / 10_000.0);
        var efficiency = ideal / outcome.Elapsed;
        SimulationLog.Write(_output, $"tpm flag {tpmFlag}: ideal {ideal.TotalSeconds:0.000} s, efficiency {efficiency:0.000}; {outcome}");
        Assert.Equal(1_000, outcome.Succeeded);
        Assert.True(outcome.RateLimited < 10, $"{outcome.RateLimited} rejections");
        Assert.True(efficiency >= 0.93, $"efficiency {efficiency:0.000}");
    }
}
