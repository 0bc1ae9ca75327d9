using LlmBatch.Providers;
using LlmBatch.Resilience;
using LlmBatch.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.Resilience;

public sealed class ItemDeadlineHandlerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SendAsync_InnerRunsPastTheDeadline_ThrowsItemDeadlineExceeded()
    {
        var time = new FakeTimeProvider();
        using var handler = new ItemDeadlineHandler(new ScriptedHandler(ScriptedHandler.Hang()), TimeSpan.FromSeconds(10), time);

        var send = handler.SendAsync(new BatchCall(ScriptedHandler.Chat()), Ct).AsTask();
        time.Advance(TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<ItemDeadlineExceededException>(() => send);
        Assert.Equal("deadline_exceeded", RetryClassifier.ErrorCode(error));
        Assert.Contains("deadline of 10 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_CallerCancelsFirst_ThrowsTheCallersCancellation()
    {
        var time = new FakeTimeProvider();
        using var handler = new ItemDeadlineHandler(new ScriptedHandler(ScriptedHandler.Hang()), TimeSpan.FromSeconds(10), time);
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var send = handler.SendAsync(new BatchCall(ScriptedHandler.Chat()), caller.Token).AsTask();
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
    }

    [Fact]
    public async Task SendAsync_AnswerWithinTheDeadline_ReturnsIt()
    {
        using var handler = new ItemDeadlineHandler(new ScriptedHandler(ScriptedHandler.Status(200)), TimeSpan.FromSeconds(10), new FakeTimeProvider());

        var response = await handler.SendAsync(new BatchCall(ScriptedHandler.Chat()), Ct);

        Assert.Equal(200, response.StatusCode);
    }

    [Fact]
    public async Task SendAsync_OnTheSystemClock_ThePastDeadlineThrowsItemDeadlineExceeded()
    {
        // The system clock takes the one-source path (the source cancels itself): a 1 ms deadline, waited on, not slept.
        using var handler = new ItemDeadlineHandler(new ScriptedHandler(ScriptedHandler.Hang()), TimeSpan.FromMilliseconds(1), TimeProvider.System);

        var error = await Assert.ThrowsAsync<ItemDeadlineExceededException>(() => handler.SendAsync(new BatchCall(ScriptedHandler.Chat()), Ct).AsTask());

        Assert.Equal("deadline_exceeded", RetryClassifier.ErrorCode(error));
    }
}
