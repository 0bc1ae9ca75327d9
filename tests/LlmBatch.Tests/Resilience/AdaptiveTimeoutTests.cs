using LlmBatch.Providers;
using LlmBatch.Resilience;
using LlmBatch.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.Resilience;

public class AdaptiveTimeoutTests
{
    private static readonly LatencyClass s_class = LatencyClass.Of(ScriptedHandler.Chat());

    [Fact]
    public void LimitFor_NoSamples_Ceiling()
    {
        using var timeouts = new AdaptiveTimeout(new BatchOptions(), new FakeTimeProvider());
        Assert.Equal(new BatchOptions().AttemptTimeoutCeiling, timeouts.LimitFor(s_class));
    }

    [Fact]
    public void LimitFor_FastAnswers_MultipleOfP95ClampedToFloor()
    {
        var options = new BatchOptions { AttemptTimeoutFloor = TimeSpan.FromSeconds(2), AttemptTimeoutMultiplier = 4 };
        using var timeouts = new AdaptiveTimeout(options, new FakeTimeProvider());
        for (var i = 0; i < 100; i++)
        {
            timeouts.Observe(s_class, TimeSpan.FromMilliseconds(100 + i));
        }

        Assert.Equal(TimeSpan.FromSeconds(2), timeouts.LimitFor(s_class));

        for (var i = 0; i < 300; i++)
        {
            timeouts.Observe(s_class, TimeSpan.FromMilliseconds(1000 + i));
        }

        // p95 of the last 256 samples (1044..1299 ms) is 1287 ms; the cached figure may lag by up to 15 samples.
        Assert.InRange(timeouts.LimitFor(s_class).TotalMilliseconds, 4 * 1270, 4 * 1300);
    }

    [Fact]
    public void LimitFor_OtherClass_NotJudgedByShortOnes()
    {
        using var timeouts = new AdaptiveTimeout(new BatchOptions(), new FakeTimeProvider());
        for (var i = 0; i < 50; i++)
        {
            timeouts.Observe(s_class, TimeSpan.FromMilliseconds(100));
        }

        var longClass = LatencyClass.Of(ScriptedHandler.Chat(maxTokens: 4000));
        Assert.NotEqual(s_class, longClass);
        Assert.Equal(new BatchOptions().AttemptTimeoutCeiling, timeouts.LimitFor(longClass));
    }

    [Fact]
    public void LimitFor_Fixed_AlwaysFixed()
    {
        using var timeouts = new AdaptiveTimeout(new BatchOptions { AttemptTimeout = TimeSpan.FromSeconds(3) }, new FakeTimeProvider());
        Assert.Equal(TimeSpan.FromSeconds(3), timeouts.LimitFor(s_class));
    }

    [Fact]
    public async Task SendAsync_HangStartedBeforeWarmUp_AbandonedOnceLatencyKnown()
    {
        var time = new FakeTimeProvider();
        var options = new BatchOptions { AttemptTimeoutFloor = TimeSpan.FromSeconds(1) };
        using var timeouts = new AdaptiveTimeout(options, time);
        var handler = new TimeoutHandler(new ScriptedHandler(ScriptedHandler.Hang()), timeouts, time);
        var call = new BatchCall(ScriptedHandler.Chat());

        var hung = handler.SendAsync(call, TestContext.Current.CancellationToken).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.False(hung.IsCompleted);

        // Latency is learned while the hang is in flight: 20 answers of 100 ms.
        for (var i = 0; i < AdaptiveTimeout.MinSamples; i++)
        {
            timeouts.Observe(LatencyClass.Of(call.Request), TimeSpan.FromMilliseconds(100));
        }

        time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.False(hung.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(200));

        var ex = await Assert.ThrowsAsync<AttemptTimeoutException>(() => hung);
        Assert.Equal(TimeSpan.FromSeconds(1), ex.Timeout);
    }

    [Fact]
    public async Task SendAsync_CallerCancels_OperationCanceledNotTimeout()
    {
        var time = new FakeTimeProvider();
        using var timeouts = new AdaptiveTimeout(new BatchOptions(), time);
        var handler = new TimeoutHandler(new ScriptedHandler(ScriptedHandler.Hang()), timeouts, time);
        using var cts = new CancellationTokenSource();
        var task = handler.SendAsync(new BatchCall(ScriptedHandler.Chat()), cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
    }

    [Fact]
    public async Task SendAsync_Success_RecordsLatency()
    {
        var time = new FakeTimeProvider();
        using var timeouts = new AdaptiveTimeout(new BatchOptions(), time);
        var handler = new TimeoutHandler(new ScriptedHandler(async (_, ct) =>
        {
            await Task.Yield();
            time.Advance(TimeSpan.FromMilliseconds(250));
            return await ScriptedHandler.Status(200)(null!, ct);
        }), timeouts, time);
        var call = new BatchCall(ScriptedHandler.Chat());
        var response = await handler.SendAsync(call, TestContext.Current.CancellationToken);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal(TimeSpan.FromMilliseconds(250), call.LastAttemptDuration);
    }

    [Fact]
    public async Task Watchdog_IdleThenBusyAgain_StillAbandonsHangs()
    {
        var time = new FakeTimeProvider();
        using var timeouts = new AdaptiveTimeout(new BatchOptions { AttemptTimeout = TimeSpan.FromSeconds(1) }, time);
        var quick = new TimeoutHandler(new ScriptedHandler(ScriptedHandler.Status(200)), timeouts, time);
        await quick.SendAsync(new BatchCall(ScriptedHandler.Chat()), TestContext.Current.CancellationToken);

        // Idle ticks stop the watchdog; a later attempt must start it again.
        time.Advance(TimeSpan.FromSeconds(1));
        var hung = new TimeoutHandler(new ScriptedHandler(ScriptedHandler.Hang()), timeouts, time)
            .SendAsync(new BatchCall(ScriptedHandler.Chat()), TestContext.Current.CancellationToken).AsTask();
        time.Advance(TimeSpan.FromSeconds(1.2));
        await Assert.ThrowsAsync<AttemptTimeoutException>(() => hung);
    }
}
