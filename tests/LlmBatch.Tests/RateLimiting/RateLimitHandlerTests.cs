using Microsoft.Extensions.Time.Testing;
using static LlmBatch.Tests.RateLimiting.RateLimitTestData;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch.Tests.RateLimiting;

public sealed class RateLimitHandlerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<ResourceController> _controllers = [];

    public void Dispose()
    {
        foreach (var c in _controllers)
        {
            c.Dispose();
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ResourceController Controller(BatchOptions options)
    {
        // The arithmetic in these tests assumes a 50 ms jitter allowance.
        var controller = new ResourceController(options, _time, jitterAllowance: TimeSpan.FromMilliseconds(50));
        _controllers.Add(controller);
        return controller;
    }

    /// <summary>Answers each call with the next of its responses (or throws the next exception) and counts calls.</summary>
    private sealed class ScriptedHandler(params object[] script) : IBatchHandler
    {
        private int _next;

        public int Calls => _next;

        public List<long> ReservedAtSend { get; } = [];

        public ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
        {
            ReservedAtSend.Add(item.ReservedTokens);
            var step = script[Math.Min(_next++, script.Length - 1)];
            return step is Exception e ? ValueTask.FromException<BatchResponse>(e) : ValueTask.FromResult((BatchResponse)step);
        }
    }

    [Fact]
    public async Task SendAsync_BudgetExhausted_SendsOnlyOnceTheBudgetAllows()
    {
        var inner = new ScriptedHandler(Ok());
        var controller = Controller(Options(rpm: 60, learn: false));
        var handler = new RateLimitHandler(inner, controller);
        await handler.SendAsync(Chat(), Ct);

        var call = Chat();
        var second = handler.SendAsync(call, Ct).AsTask();
        Assert.Equal(1, inner.Calls);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, controller.WaitingCount);
        var response = await second;

        Assert.Equal(2, inner.Calls);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), call.LimiterWait);
    }

    [Fact]
    public async Task SendAsync_Success_ReservationIsSetBeforeSendingAndSettledAfter()
    {
        var inner = new ScriptedHandler(Ok(promptTokens: 100, completionTokens: 10));
        var controller = Controller(Options(tpm: 60_000, learn: false));
        var handler = new RateLimitHandler(inner, controller);

        await handler.SendAsync(Chat(promptTokens: 100, maxTokens: 800), Ct);

        // 900 reserved of 950, 110 used: the refund leaves 840, enough for another 900 only after 60 ms.
        Assert.Equal(900, inner.ReservedAtSend[0]);
        var next = handler.SendAsync(Chat(promptTokens: 100, maxTokens: 800), Ct).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(59));
        Assert.Equal(1, controller.WaitingCount);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, controller.WaitingCount);
        await next;
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task SendAsync_TooManyRequests_ReturnsItWithoutRetryingAndPausesEveryone()
    {
        var inner = new ScriptedHandler(TooMany(new RateLimitHeaders { RetryAfter = TimeSpan.FromSeconds(2), RemainingRequests = 0 }), Ok());
        var controller = Controller(Options(learn: false));
        var handler = new RateLimitHandler(inner, controller);

        var response = await handler.SendAsync(Chat(), Ct);

        Assert.Equal(429, response.StatusCode);
        Assert.Equal(1, inner.Calls);
        var others = Enumerable.Range(0, 3).Select(i => handler.SendAsync(Chat($"o{i}"), Ct).AsTask()).ToArray();
        Assert.Equal(3, controller.WaitingCount);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, controller.WaitingCount);
        await Task.WhenAll(others);
        Assert.Equal(4, inner.Calls);
    }

    [Fact]
    public async Task SendAsync_InnerThrows_RethrowsAndReleasesTheSlot()
    {
        var inner = new ScriptedHandler(new HttpRequestException("connection refused"), Ok());
        var controller = Controller(Options());
        var handler = new RateLimitHandler(inner, controller);

        await Assert.ThrowsAsync<HttpRequestException>(async () => await handler.SendAsync(Chat(), Ct));

        var response = await handler.SendAsync(Chat(), Ct);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task SendAsync_CancelledWhileWaiting_NeverCallsTheInnerHandler()
    {
        var inner = new ScriptedHandler(Ok());
        var handler = new RateLimitHandler(inner, Controller(Options(rpm: 60, learn: false)));
        await handler.SendAsync(Chat(), Ct);
        using var cts = new CancellationTokenSource();

        var waiting = handler.SendAsync(Chat(), cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, inner.Calls);
    }
}
