using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using LlmBatch.Resilience;
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
        var inner = new ScriptedHandler(ScriptedHandler.Status(500));
        var call = new BatchCall(ScriptedHandler.Chat());
        var response = await Create(inner, maxAttempts: 3).SendAsync(call, TestContext.Current.CancellationToken);
        Assert.Equal(500, response.StatusCode);
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
    public async Task SendAsync_RateLimitAndOverloadAnswers_DoNotUseUpTheAttempts()
    {
        // Ten throttles in a row, then two genuine failures, then a success, all within two allowed failures... plus one.
        var throttles = Enumerable.Range(0, 10).Select(i => ScriptedHandler.Status(i % 3 == 0 ? 429 : i % 3 == 1 ? 503 : 529));
        var inner = new ScriptedHandler([.. throttles, ScriptedHandler.Status(500), ScriptedHandler.Status(502), ScriptedHandler.Status(200)]);
        var call = new BatchCall(ScriptedHandler.Chat());
        var response = await Create(inner, maxAttempts: 3).SendAsync(call, TestContext.Current.CancellationToken);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal(13, call.Attempt);
        Assert.Equal(2, call.FailedAttempts);
    }

    [Fact]
    public async Task SendAsync_ThrottledForever_KeepsTryingWithGrowingBackoffUntilCancelled()
    {
        var time = new FakeTimeProvider();
        var inner = new ScriptedHandler(ScriptedHandler.Status(503));
        var handler = new RetryHandler(inner, new BatchOptions { MaxAttempts = 2 }, time, new RetryBackoff(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(8), new Random(5)));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var task = handler.SendAsync(new BatchCall(ScriptedHandler.Chat()), cts.Token).AsTask();
        for (var i = 0; i < 600 && !task.IsCompleted; i++)
        {
            await Task.Yield();
            time.Advance(TimeSpan.FromSeconds(1));
        }

        // Ten minutes of 503s: far more than two attempts, far fewer than one a second once the backoff reached its cap.
        Assert.False(task.IsCompleted);
        Assert.InRange(inner.Calls, 20, 300);
        await cts.CancelAsync();
        time.Advance(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
    }

    [Fact]
    public async Task SendAsync_ThrottleWithRetryAfterZero_StillBacksOff()
    {
        var time = new FakeTimeProvider();
        var inner = new ScriptedHandler(ScriptedHandler.Status(429, headers: new RateLimitHeaders { RetryAfter = TimeSpan.Zero }));
        var handler = new RetryHandler(inner, new BatchOptions(), time, new RetryBackoff(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(8), new Random(5)));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var task = handler.SendAsync(new BatchCall(ScriptedHandler.Chat()), cts.Token).AsTask();
        await Task.Delay(50, TestContext.Current.CancellationToken);

        // Without time passing, a zero wait must not turn into a hot loop of attempts.
        Assert.InRange(inner.Calls, 1, 2);
        await cts.CancelAsync();
        time.Advance(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
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
