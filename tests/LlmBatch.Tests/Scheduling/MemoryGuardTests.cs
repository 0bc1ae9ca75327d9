using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.Scheduling;

public class MemoryGuardTests
{
    private const long Mb = 1024 * 1024;

    [Fact]
    public async Task WaitForRoomAsync_BelowHighWater_ReturnsImmediately()
    {
        var time = new FakeTimeProvider();
        var guard = new MemoryGuard(100 * Mb, time, () => 50 * Mb);
        var wait = guard.WaitForRoomAsync(TestContext.Current.CancellationToken).AsTask();
        Assert.True(wait.IsCompletedSuccessfully);
        await wait;
        Assert.False(guard.IsPaused);
        Assert.Equal(TimeSpan.Zero, guard.PausedTime);
        Assert.Equal(50 * Mb, guard.PeakBytes);
    }

    [Fact]
    public async Task WaitForRoomAsync_AboveHighWater_PausesUntilBelowLowWater()
    {
        var time = new FakeTimeProvider();
        long memory = 95 * Mb;
        var guard = new MemoryGuard(100 * Mb, time, () => Interlocked.Read(ref memory));
        var ct = TestContext.Current.CancellationToken;

        var wait = guard.WaitForRoomAsync(ct).AsTask();
        Assert.False(wait.IsCompleted);
        Assert.True(guard.IsPaused);

        // Falling, but still above the low-water mark (80 %): stays paused.
        Interlocked.Exchange(ref memory, 85 * Mb);
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.False(wait.IsCompleted);

        Interlocked.Exchange(ref memory, 70 * Mb);
        time.Advance(TimeSpan.FromMilliseconds(100));
        await wait.WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.False(guard.IsPaused);
        Assert.Equal(TimeSpan.FromMilliseconds(200), guard.PausedTime);
        Assert.Equal(95 * Mb, guard.PeakBytes);
        Assert.False(guard.LimitBelowFloor);
    }

    [Fact]
    public async Task WaitForRoomAsync_MemoryNeverFalls_TakesFloorAndResumes()
    {
        var time = new FakeTimeProvider();
        var guard = new MemoryGuard(10 * Mb, time, () => 60 * Mb);
        var ct = TestContext.Current.CancellationToken;

        var wait = guard.WaitForRoomAsync(ct).AsTask();
        for (var i = 0; i < 19 && !wait.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(100));
        await wait.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.True(guard.LimitBelowFloor);
        Assert.Equal(MemoryGuard.StallTimeout, guard.PausedTime);

        // Later calls at the same level pass: only growth above the floor is held back.
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(guard.WaitForRoomAsync(ct).AsTask().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitForRoomAsync_ConcurrentWaiters_PausedTimeCountedOnce()
    {
        var time = new FakeTimeProvider();
        long memory = 99 * Mb;
        var guard = new MemoryGuard(100 * Mb, time, () => Interlocked.Read(ref memory));
        var ct = TestContext.Current.CancellationToken;

        var first = guard.WaitForRoomAsync(ct).AsTask();
        var second = guard.WaitForRoomAsync(ct).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(100));
        Interlocked.Exchange(ref memory, 10 * Mb);
        time.Advance(TimeSpan.FromMilliseconds(100));
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(TimeSpan.FromMilliseconds(200), guard.PausedTime);
    }

    [Fact]
    public async Task WaitForRoomAsync_Cancelled_ThrowsAndEndsPause()
    {
        var time = new FakeTimeProvider();
        var guard = new MemoryGuard(100 * Mb, time, () => 99 * Mb);
        using var cts = new CancellationTokenSource();
        var wait = guard.WaitForRoomAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        Assert.False(guard.IsPaused);
    }

    [Fact]
    public async Task WaitForRoomAsync_SamplesAtMostEveryInterval()
    {
        var time = new FakeTimeProvider();
        var samples = 0;
        var guard = new MemoryGuard(100 * Mb, time, () => { samples++; return Mb; });
        for (var i = 0; i < 1000; i++)
        {
            await guard.WaitForRoomAsync(TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, samples);
        time.Advance(TimeSpan.FromMilliseconds(100));
        await guard.WaitForRoomAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, samples);
    }

    [Fact]
    public void Constructor_NonPositiveLimit_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new MemoryGuard(0, TimeProvider.System));

    [Fact]
    public void BatchOptionsValidate_NonPositiveMaxMemory_Reported()
    {
        var options = new BatchOptions { MaxMemoryBytes = -1 };
        var ex = Assert.Throws<BatchOptionsException>(options.Validate);
        Assert.Contains(ex.Problems, p => p.Contains("MaxMemoryBytes", StringComparison.Ordinal));
        new BatchOptions { MaxMemoryBytes = 1 }.Validate();
        new BatchOptions().Validate();
    }
}
