using LlmBatch.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.RateLimiting;

public class TokenBudgetTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void TryTake_EmptyBucket_RefillsContinuouslyOverTime()
    {
        var budget = new TokenBudget(_time, ratePerSecond: 100, capacity: 100, initialLevel: 0);

        Assert.False(budget.TryTake(1));
        _time.Advance(TimeSpan.FromMilliseconds(9));
        Assert.False(budget.TryTake(1));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(budget.TryTake(1));
        _time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(25, budget.Level, precision: 6);
    }

    [Fact]
    public void Level_LongIdle_CappedAtCapacity()
    {
        var budget = new TokenBudget(_time, ratePerSecond: 10, capacity: 5, initialLevel: 0);

        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(5, budget.Level, precision: 6);
    }

    [Fact]
    public void TimeUntil_ShortOfTokens_IsTheRefillTimeAndSufficesWhenItPasses()
    {
        var budget = new TokenBudget(_time, ratePerSecond: 1000, capacity: 10_000, initialLevel: 200);

        var wait = budget.TimeUntil(700);

        Assert.InRange(wait, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500.01));
        _time.Advance(wait - TimeSpan.FromMilliseconds(1));
        Assert.False(budget.CanTake(700));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(budget.TryTake(700));
        Assert.Equal(TimeSpan.Zero, new TokenBudget(_time, 1, 10).TimeUntil(10));
    }

    [Fact]
    public void Refund_UnusedReservation_ReturnsTokensUpToCapacity()
    {
        var budget = new TokenBudget(_time, ratePerSecond: 1, capacity: 1000);
        Assert.True(budget.TryTake(800));

        budget.Refund(300);
        Assert.Equal(500, budget.Level, precision: 6);

        budget.Refund(10_000);
        Assert.Equal(1000, budget.Level, precision: 6);
    }

    [Fact]
    public void Charge_Overrun_CanGoIntoDebtAndDelaysTheNextTake()
    {
        var budget = new TokenBudget(_time, ratePerSecond: 100, capacity: 1000);
        Assert.True(budget.TryTake(900));

        budget.Charge(300);

        Assert.Equal(-200, budget.Level, precision: 6);
        Assert.Equal(3, budget.TimeUntil(100).TotalSeconds, tolerance: 0.001);
    }

    [Fact]
    public void TryTake_LargerThanCapacityAndBucketNotFull_Waits()
    {
        var budget = new TokenBudget(_time, ratePerSecond: 100, capacity: 1000, initialLevel: 999);

        Assert.False(budget.TryTake(5000));
        Assert.Equal(0.010, budget.TimeUntil(5000).TotalSeconds, tolerance: 0.00001);
    }

    [Fact]
    public void TryTake_LargerThanCapacityWhenFull_AdmitsAndLeavesDebt()
    {
        var budget = new TokenBudget(_time, ratePerSecond: 100, capacity: 1000);

        Assert.True(budget.TryTake(5000));

        Assert.Equal(-4000, budget.Level, precision: 6);
        Assert.False(budget.TryTake(1));
        Assert.Equal(40.01, budget.TimeUntil(1).TotalSeconds, tolerance: 0.001);
    }

    [Fact]
    public void Correct_LowerEstimate_LowersLevelButAHigherOneDoesNotRaiseIt()
    {
        var budget = new TokenBudget(_time, ratePerSecond: 10, capacity: 100, initialLevel: 60);

        budget.Correct(80);
        Assert.Equal(60, budget.Level, precision: 6);

        budget.Correct(20);
        Assert.Equal(20, budget.Level, precision: 6);

        budget.Correct(-5);
        Assert.Equal(-5, budget.Level, precision: 6);
    }

    [Fact]
    public void SetRate_WhileRunning_RefillsAtTheOldRateUpToNowThenAtTheNew()
    {
        var budget = new TokenBudget(_time, ratePerSecond: 10, capacity: 1000, initialLevel: 0);
        _time.Advance(TimeSpan.FromSeconds(2));

        budget.SetRate(100);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(120, budget.Level, precision: 6);
        Assert.Equal(100, budget.RatePerSecond);
    }

    [Fact]
    public void SetCapacity_BelowLevel_DropsLevelToCapacity()
    {
        var budget = new TokenBudget(_time, ratePerSecond: 10, capacity: 1000);

        budget.SetCapacity(50);

        Assert.Equal(50, budget.Level, precision: 6);
        Assert.Equal(50, budget.Capacity);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(10, 0)]
    [InlineData(-1, 10)]
    [InlineData(double.NaN, 10)]
    public void Constructor_NonPositiveRateOrCapacity_Throws(double rate, double capacity) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBudget(_time, rate, capacity));
}
