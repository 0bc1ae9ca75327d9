using Microsoft.Extensions.Time.Testing;
using static LlmBatch.Tests.RateLimiting.RateLimitTestData;

namespace LlmBatch.Tests.RateLimiting;

/// <summary>
/// Whole runs against a model of an OpenAI-like limiter on fake time. These check the controller's logic (does it
/// keep a tight limit busy without overrunning it?) deterministically; real speed is for the benchmarks.
/// </summary>
public class ResourceControllerSimulationTests
{
    private readonly ITestOutputHelper _output;

    public ResourceControllerSimulationTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(true, 500)]
    [InlineData(false, 500)]
    [InlineData(true, 1500)]
    [InlineData(false, 1500)]
    public void Run_3000RequestsAt6000Rpm_NoRejectionsAndNearIdealTime(bool rpmFlag, int latencyMs)
    {
        var time = new FakeTimeProvider();
        var server = new FakeRateLimitedServer(time, requestsPerMinute: 6_000, tokensPerMinute: 100_000_000);
        var calls = Enumerable.Range(0, 3_000).Select(i => Chat($"r{i}", promptTokens: 20, maxTokens: 50)).ToList();
        var options = Options(rpm: rpmFlag ? 6_000 : null);

        var outcome = RateLimitSimulation.Run(time, options, server, calls, TimeSpan.FromMilliseconds(latencyMs));

        var ideal = TimeSpan.FromSeconds(30);
        _output.WriteLine($"rpm flag {rpmFlag}, latency {latencyMs} ms: {outcome.Elapsed / ideal:0.000}x ideal; {outcome}");
        Assert.Equal(0, outcome.Rejected);
        Assert.Equal(3_000, outcome.Attempts);

        // Without flags the probe costs one round trip before the limits are known.
        var probe = rpmFlag ? TimeSpan.Zero : TimeSpan.FromMilliseconds(latencyMs);
        Assert.InRange(outcome.Elapsed, TimeSpan.FromSeconds(29), (ideal * 1.05) + probe);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Run_TokenBoundWithUnusedMaxTokens_FewRejectionsAndNearIdealThroughput(bool tpmFlag)
    {
        // 600,000 TPM is 10,000 tokens a second; requests reserve 100-900 prompt + 700 max, use 50 of the 700,
        // and the server never refunds: the client's refunds must be undone by what the headers say.
        var time = new FakeTimeProvider();
        var server = new FakeRateLimitedServer(time, requestsPerMinute: 100_000, tokensPerMinute: 600_000, completionTokens: 50);
        var random = new Random(42);
        var calls = Enumerable.Range(0, 1_000).Select(i => Chat($"r{i}", promptTokens: random.Next(100, 900), maxTokens: 700)).ToList();
        var options = Options(tpm: tpmFlag ? 600_000 : null);

        var outcome = RateLimitSimulation.Run(time, options, server, calls, TimeSpan.FromMilliseconds(800));

        // Ideal: every charged token at the full rate, less the burst the server starts with.
        var ideal = TimeSpan.FromSeconds((server.TokensCharged - 10_000) / 10_000.0);
        var efficiency = ideal / outcome.Elapsed;
        _output.WriteLine($"tpm flag {tpmFlag}: ideal {ideal.TotalSeconds:0.000} s, efficiency {efficiency:0.000}; {outcome}");
        _output.WriteLine(string.Join("; ", server.RejectedAt));
        Assert.True(outcome.Rejected < 10, $"{outcome.Rejected} rejections");
        Assert.True(efficiency >= 0.93, $"efficiency {efficiency:0.000}");
    }
}
