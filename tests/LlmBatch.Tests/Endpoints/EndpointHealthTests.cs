using System.Net.Sockets;
using LlmBatch.Endpoints;
using LlmBatch.Providers;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.Endpoints;

public class EndpointHealthTests
{
    private static BatchResponse Status(int status) => new() { StatusCode = status };

    [Fact]
    public void OnResponse_FailuresInARowReachThreshold_OutUntilBreakThenOneProbe()
    {
        var time = new FakeTimeProvider();
        var health = new EndpointHealth(new EndpointHealthOptions { FailureThreshold = 3, BreakDuration = TimeSpan.FromSeconds(10) }, time);

        health.OnResponse(Status(500), probe: false);
        health.OnResponse(Status(502), probe: false);
        Assert.Equal(EndpointState.Healthy, health.State);
        health.OnResponse(Status(500), probe: false);

        Assert.Equal(EndpointState.Out, health.State);
        Assert.False(health.TryEnter(out _));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(health.TryEnter(out var probe));
        Assert.True(probe);
        Assert.False(health.TryEnter(out _));
        Assert.Equal(EndpointState.Probing, health.State);

        health.OnResponse(Status(200), probe);
        Assert.Equal(EndpointState.Healthy, health.State);
        Assert.True(health.TryEnter(out var again));
        Assert.False(again);
        Assert.Equal(1, health.TimesOut);
    }

    [Fact]
    public void OnResponse_ProbeFails_OutForTwiceAsLong()
    {
        var time = new FakeTimeProvider();
        var health = new EndpointHealth(new EndpointHealthOptions { FailureThreshold = 1, BreakDuration = TimeSpan.FromSeconds(10) }, time);
        health.OnResponse(Status(500), probe: false);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(health.TryEnter(out var probe));

        health.OnResponse(Status(500), probe);

        Assert.Equal(TimeSpan.FromSeconds(20), health.OutFor);
        time.Advance(TimeSpan.FromSeconds(19));
        Assert.False(health.TryEnter(out _));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(health.TryEnter(out _));
    }

    [Fact]
    public void OnResponse_RefusedKey_OutAtOnceForTheLongestBreak()
    {
        var time = new FakeTimeProvider();
        var health = new EndpointHealth(new EndpointHealthOptions { MaxBreakDuration = TimeSpan.FromMinutes(5) }, time);

        Assert.Equal(EndpointHealth.Verdict.Unusable, health.OnResponse(Status(401), probe: false));

        Assert.Equal(EndpointState.Out, health.State);
        Assert.Equal(TimeSpan.FromMinutes(5), health.OutFor);
    }

    [Fact]
    public void OnException_ConnectionRefused_UnusableAndOutAtOnce()
    {
        var time = new FakeTimeProvider();
        var health = new EndpointHealth(new EndpointHealthOptions(), time);
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused));

        Assert.Equal(EndpointHealth.Verdict.Unusable, health.OnException(refused, probe: false, cancelledByCaller: false));
        Assert.Equal(EndpointState.Out, health.State);
    }

    [Fact]
    public void OnResponse_ThrottlesAndOverload_NeverTakeTheEndpointOut()
    {
        var health = new EndpointHealth(new EndpointHealthOptions { FailureThreshold = 1 }, new FakeTimeProvider());
        foreach (var status in new[] { 429, 503, 529, 400, 404 })
        {
            Assert.Equal(EndpointHealth.Verdict.Fine, health.OnResponse(Status(status), probe: false));
        }

        Assert.Equal(EndpointState.Healthy, health.State);
    }

    [Fact]
    public void Release_UnsentProbe_LetsAnotherAttemptProbe()
    {
        var time = new FakeTimeProvider();
        var health = new EndpointHealth(new EndpointHealthOptions { FailureThreshold = 1 }, time);
        health.OnResponse(Status(500), probe: false);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(health.TryEnter(out var probe));

        health.Release(probe);

        Assert.True(health.TryEnter(out var next));
        Assert.True(next);
    }

    [Fact]
    public void OnResponse_FailuresOfAttemptsSentBeforeItWentOut_DoNotLengthenTheBreak()
    {
        var time = new FakeTimeProvider();
        var health = new EndpointHealth(new EndpointHealthOptions { FailureThreshold = 1, BreakDuration = TimeSpan.FromSeconds(10) }, time);
        health.OnResponse(Status(500), probe: false);

        health.OnResponse(Status(500), probe: false);
        health.OnResponse(Status(500), probe: false);

        Assert.Equal(TimeSpan.FromSeconds(10), health.OutFor);
        Assert.Equal(1, health.TimesOut);
    }

    [Fact]
    public void OnException_ProbeCancelledByTheCaller_StaysOutAndTheNextAttemptProbes()
    {
        var time = new FakeTimeProvider();
        var health = new EndpointHealth(new EndpointHealthOptions { FailureThreshold = 1 }, time);
        health.OnResponse(Status(500), probe: false);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(health.TryEnter(out var probe));

        health.OnException(new OperationCanceledException(), probe, cancelledByCaller: true);

        Assert.Equal(EndpointState.Probing, health.State);
        Assert.True(health.TryEnter(out var next));
        Assert.True(next);
    }
}
