using System.Net.Sockets;
using LlmBatch.Providers;
using LlmBatch.Tests.TestSupport;

namespace LlmBatch.Tests.Scheduling;

public sealed class RunCircuitBreakerHandlerTests
{
    private const string Quota = """{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static BatchCall Call() => new(ScriptedHandler.Chat());

    [Fact]
    public async Task SendAsync_401BeforeAnySuccess_OpensAndRefusesLaterCallsUnsent()
    {
        var inner = new ScriptedHandler(ScriptedHandler.Status(401), ScriptedHandler.Status(200));
        using var breaker = new RunCircuitBreakerHandler(inner, new BatchOptions(), new RunCounters());

        var first = await Assert.ThrowsAsync<RunCircuitOpenException>(() => breaker.SendAsync(Call(), Ct).AsTask());
        var second = await Assert.ThrowsAsync<RunCircuitOpenException>(() => breaker.SendAsync(Call(), Ct).AsTask());

        Assert.IsType<BatchAuthenticationException>(first.Reason);
        Assert.Same(first.Reason, second.Reason);
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task SendAsync_401WithTheRuleOff_ReturnsTheAnswer()
    {
        using var breaker = new RunCircuitBreakerHandler(new ScriptedHandler(ScriptedHandler.Status(401)), new BatchOptions { StopOnAuthenticationFailure = false }, new RunCounters());

        var response = await breaker.SendAsync(Call(), Ct);

        Assert.Equal(401, response.StatusCode);
        Assert.Null(breaker.OpenReason);
    }

    [Fact]
    public async Task SendAsync_QuotaExhausted_OpensWithTheQuotaReason()
    {
        using var breaker = new RunCircuitBreakerHandler(new ScriptedHandler(ScriptedHandler.Status(429, Quota)), new BatchOptions(), new RunCounters());

        var open = await Assert.ThrowsAsync<RunCircuitOpenException>(() => breaker.SendAsync(Call(), Ct).AsTask());

        Assert.IsType<BatchQuotaExhaustedException>(open.Reason);
    }

    [Fact]
    public async Task SendAsync_ConnectionRefusedBeforeAnySuccess_OpensAsUnreachable()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused));
        using var breaker = new RunCircuitBreakerHandler(new ScriptedHandler(ScriptedHandler.Throw(refused)), new BatchOptions(), new RunCounters());

        var open = await Assert.ThrowsAsync<RunCircuitOpenException>(() => breaker.SendAsync(Call(), Ct).AsTask());

        Assert.IsType<BatchEndpointUnreachableException>(open.Reason);
    }

    [Fact]
    public async Task Reset_OpenCircuit_LetsCallsThroughAgain()
    {
        using var breaker = new RunCircuitBreakerHandler(new ScriptedHandler(ScriptedHandler.Status(401), ScriptedHandler.Status(200)), new BatchOptions(), new RunCounters());
        await Assert.ThrowsAsync<RunCircuitOpenException>(() => breaker.SendAsync(Call(), Ct).AsTask());

        breaker.Reset();
        var response = await breaker.SendAsync(Call(), Ct);

        Assert.Equal(200, response.StatusCode);
    }
}
