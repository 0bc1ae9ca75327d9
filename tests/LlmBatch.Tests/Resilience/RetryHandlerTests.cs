using LlmBatch.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.Resilience;

public class RetryHandlerTests
{
    private static RetryHandler Create(IBatchHandler inner, int maxAttempts = 6, TimeProvider? time = null) =>
        new(inner, new BatchOptions { MaxAttempts = maxAttempts }, time ?? TimeProvider.System, new RetryBackoff(TimeSpan.Zero, TimeSpan.Zero));

    [Fact]
    public async Task SendAsync_TransientThenSuccess_RetriesAndRecordsStatuses()
    {
        var inner = new ScriptedHandler(ScriptedHandler.Status(500), ScriptedHandler.Throw(new HttpRequestException("reset")), ScriptedHandler.Status(200, "{\"id\":\"x\""), ScriptedHandler.Status(200));
        var call = new BatchCall(ScriptedHandler.Chat());
        var response = await Create(inner).SendAsync(call, TestContext.Current.CancellationToken);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal(4, call.Attempt);
        Assert.Equal([500, 0, 200, 200], call.Statuses);
    }

    [Fact]
    public async Task SendAsync_PermanentStatus_NoRetry()
    {
        var inner = new ScriptedHandler(ScriptedHandler.Status(400), ScriptedHandler.Status(200));
        var call = new BatchCall(ScriptedHandler.Chat());
        var response = await Create(inner).SendAsync(call, TestContext.Current.CancellationToken);
        Assert.Equal(400, response.StatusCode);
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task SendAsync_AlwaysFailing_StopsAtMaxAttemptsWithLastOutcome()
    {
        var inner = new ScriptedHandler(ScriptedHandler.Status(503));
        var call = new BatchCall(ScriptedHandler.Chat());
        var response = await Create(inner, maxAttempts: 3).SendAsync(call, TestContext.Current.CancellationToken);
        Assert.Equal(503, response.StatusCode);
        Assert.Equal(3, inner.Calls);

        var throwing = new ScriptedHandler(ScriptedHandler.Throw(new IOException("cut")));
        await Assert.ThrowsAsync<IOException>(() => Create(throwing, maxAttempts: 2).SendAsync(new BatchCall(ScriptedHandler.Chat()), TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(2, throwing.Calls);
    }

    [Fact]
    public async Task SendAsync_ServerRetryAfter_WaitsThatLong()
    {
        var time = new FakeTimeProvider();
        var inner = new ScriptedHandler(ScriptedHandler.Status(429, headers: new RateLimitHeaders { RetryAfter = TimeSpan.FromSeconds(2) }), ScriptedHandler.Status(200));
        var handler = new RetryHandler(inner, new BatchOptions(), time, new RetryBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), new Random(3)));
        var task = handler.SendAsync(new BatchCall(ScriptedHandler.Chat()), TestContext.Current.CancellationToken).AsTask();
        await Task.Yield();
        time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.False(task.IsCompleted);
        Assert.Equal(1, inner.Calls);
        time.Advance(TimeSpan.FromSeconds(0.5));
        var response = await task;
        Assert.Equal(200, response.StatusCode);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task SendAsync_CallerCancels_NoFurtherAttempts()
    {
        using var cts = new CancellationTokenSource();
        var inner = new ScriptedHandler(async (_, ct) =>
        {
            await cts.CancelAsync();
            ct.ThrowIfCancellationRequested();
            return null!;
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Create(inner).SendAsync(new BatchCall(ScriptedHandler.Chat()), cts.Token).AsTask());
        Assert.Equal(1, inner.Calls);
    }
}
