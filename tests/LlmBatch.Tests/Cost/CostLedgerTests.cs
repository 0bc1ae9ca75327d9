using LlmBatch.Cost;
using LlmBatch.RateLimiting;

namespace LlmBatch.Tests.Cost;

public sealed class CostLedgerTests
{
    private static CostLedger Ledger(decimal? cap, Action? stop = null) =>
        new(new CostControlOptions { MaxCost = cap }) { StopDispatch = stop };

    [Fact]
    public async Task ReserveAsync_UnderTheCap_GrantedAtOnce()
    {
        var ledger = Ledger(10);

        await ledger.ReserveAsync(4, TestContext.Current.CancellationToken);
        await ledger.ReserveAsync(6, TestContext.Current.CancellationToken);

        Assert.Equal(10, ledger.Snapshot().Reserved);
    }

    [Fact]
    public async Task ReserveAsync_OverTheCapWhileOthersInFlight_WaitsForThemToSettle()
    {
        var ledger = Ledger(10);
        await ledger.ReserveAsync(8, TestContext.Current.CancellationToken);

        var waiting = ledger.ReserveAsync(5, TestContext.Current.CancellationToken).AsTask();
        Assert.False(waiting.IsCompleted);
        ledger.Settle(8, 3);

        await waiting;
        var s = ledger.Snapshot();
        Assert.Equal(3, s.Spent);
        Assert.Equal(5, s.Reserved);
    }

    [Fact]
    public async Task ReserveAsync_NothingInFlightAndNoRoom_StopsDispatchOnce()
    {
        var stops = 0;
        var ledger = Ledger(10, () => stops++);
        await ledger.ReserveAsync(8, TestContext.Current.CancellationToken);
        var waiting = ledger.ReserveAsync(5, TestContext.Current.CancellationToken).AsTask();

        ledger.Settle(8, 7);

        await Assert.ThrowsAsync<DispatchStoppedException>(() => waiting);
        await Assert.ThrowsAsync<DispatchStoppedException>(() => ledger.ReserveAsync(1, TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(1, stops);
        Assert.True(ledger.Snapshot().CapReached);
        Assert.Equal(7, ledger.Snapshot().Spent);
    }

    [Fact]
    public async Task Close_ReleasesWaitersUnsentWithoutCallingItTheCap()
    {
        var ledger = Ledger(10);
        await ledger.ReserveAsync(8, TestContext.Current.CancellationToken);
        var waiting = ledger.ReserveAsync(5, TestContext.Current.CancellationToken).AsTask();

        ledger.Close();

        await Assert.ThrowsAsync<DispatchStoppedException>(() => waiting);
        Assert.False(ledger.Snapshot().CapReached);
    }

    [Fact]
    public async Task ReserveAsync_WaiterCancelled_DoesNotBlockOrStopLaterOnes()
    {
        var ledger = Ledger(10);
        await ledger.ReserveAsync(8, TestContext.Current.CancellationToken);
        using var cancel = new CancellationTokenSource();
        var gaveUp = ledger.ReserveAsync(5, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp);
        ledger.Settle(8, 0);

        await ledger.ReserveAsync(9, TestContext.Current.CancellationToken);

        Assert.False(ledger.Snapshot().CapReached);
    }
}
