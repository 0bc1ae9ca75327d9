using System.Net;
using LlmBatch.Simulator.Tests.Faults;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Simulator.Tests.Latency;

public class CapacityTests
{
    private static (SimulatorOptions, FakeTimeProvider) Options(SimulatorOverflow overflow)
    {
        var time = new FakeTimeProvider();
        var options = SimTest.Instant();
        options.Latency = TimeSpan.FromSeconds(1);
        options.MaxInFlight = 1;
        options.Overflow = overflow;
        options.TimeProvider = time;
        return (options, time);
    }

    // Two different requests at once against one slot: the one answered first is the one turned away.
    private static async Task<(Task<HttpResponseMessage> Rejected, Task<HttpResponseMessage> Held)> RaceTwoAsync(HttpClient client)
    {
        var a = SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        var b = SimTest.PostAsync(client, "chat/completions", """{"model":"m","messages":[{"role":"user","content":"other"}]}""");
        var rejected = await Task.WhenAny(a, b);
        return (rejected, rejected == a ? b : a);
    }

    [Fact]
    public async Task Reject_PastMaxInFlight_503AtOnce()
    {
        var (options, time) = Options(SimulatorOverflow.Reject);
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);

        // Whichever arrives second finds the only slot taken (held by the 1 s fake-clock latency) and is turned away at once.
        var (rejected, held) = await RaceTwoAsync(client);
        using (var response = await rejected)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        Assert.Equal(1, sim.GetStats().CapacityRejected);
        await FaultTests.AdvanceUntilDoneAsync(time, held, TimeSpan.FromMilliseconds(100));
        using var heldResponse = await held;
        Assert.Equal(HttpStatusCode.OK, heldResponse.StatusCode);
        Assert.Equal(0, sim.GetStats().Faults.Values.Sum());
    }

    [Fact]
    public async Task Reject429_PastMaxInFlight_429WithoutAnyRateLimitHeader()
    {
        var (options, time) = Options(SimulatorOverflow.Reject429);
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        var (rejected, held) = await RaceTwoAsync(client);
        using (var response = await rejected)
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("x-ratelimit", StringComparison.OrdinalIgnoreCase) || h.Key.StartsWith("retry-after", StringComparison.OrdinalIgnoreCase));
        }

        await FaultTests.AdvanceUntilDoneAsync(time, held, TimeSpan.FromMilliseconds(100));
        using var heldResponse = await held;
        Assert.Equal(HttpStatusCode.OK, heldResponse.StatusCode);
    }

    [Theory]
    [InlineData(1, 10.09375)]
    [InlineData(16, 11.5)]
    [InlineData(32, 13.0)]
    [InlineData(64, 26.0)]
    public void ContinuousBatching_StepTime_GentleUpToSaturationThenProportional(int active, double expectedMs)
    {
        var batching = new ContinuousBatching(new SimulatorOptions { PerToken = TimeSpan.FromMilliseconds(10), Saturation = 32, SaturationGrowth = 0.3 });
        Assert.Equal(expectedMs, batching.StepMs(active), precision: 6);
    }

    [Fact]
    public async Task Queue_PastMaxInFlight_WaitsForSlotSoLatencyAddsUp()
    {
        var (options, time) = Options(SimulatorOverflow.Queue);
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        var both = Task.WhenAll(
            SimTest.PostAsync(client, "chat/completions", SimTest.Chat),
            SimTest.PostAsync(client, "chat/completions", """{"model":"m","messages":[{"role":"user","content":"other"}]}"""));
        while (sim.GetStats().MaxInFlight < 2)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        var advanced = await FaultTests.AdvanceUntilDoneAsync(time, both, TimeSpan.FromMilliseconds(100));
        var responses = await both;
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.True(advanced >= TimeSpan.FromSeconds(2), $"both answered after {advanced}");
        Assert.Equal(0, sim.GetStats().CapacityRejected);
    }
}
