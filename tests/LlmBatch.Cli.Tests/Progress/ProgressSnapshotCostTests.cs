using LlmBatch.Cli.Progress;
using LlmBatch.Cost;

namespace LlmBatch.Cli.Tests.Progress;

public sealed class ProgressSnapshotCostTests
{
    private static ProgressSnapshot Snapshot(BatchProgress now, long items = 1000, long resumed = 0) =>
        ProgressSnapshot.From(now, null, new ProgressTotals { Items = items, Resumed = resumed }, 100 * 1024 * 1024);

    [Fact]
    public void ToPlainLine_CostMetered_ShowsSpendProjectionAndCap()
    {
        var now = new BatchProgress
        {
            Elapsed = TimeSpan.FromSeconds(10),
            Completed = 250,
            Succeeded = 250,
            Cost = new BatchCostProgress { Spent = 2.5m, MaxCost = 20m },
            AnsweredFromCache = 40,
            SharedAnswers = 10,
        };

        var line = Snapshot(now).ToPlainLine();

        // 250 of 1,000 done for $2.50: the other 750 at the same average make $10.
        Assert.Contains("| spent $2.50 (projected $10.00, cap $20.00)", line, StringComparison.Ordinal);
        Assert.Contains("| cached 40 shared 10", line, StringComparison.Ordinal);
    }

    [Fact]
    public void ProjectedCost_ResumedItemsAreNotCountedAsStillToDo()
    {
        var now = new BatchProgress { Elapsed = TimeSpan.FromSeconds(1), Completed = 100, Cost = new BatchCostProgress { Spent = 1m } };

        Assert.Equal(5m, Snapshot(now, items: 1000, resumed: 500).ProjectedCost);
    }

    [Fact]
    public void ToPlainLine_NoCostMetered_LineUnchanged()
    {
        var line = Snapshot(new BatchProgress { Elapsed = TimeSpan.FromSeconds(1) }).ToPlainLine();

        Assert.DoesNotContain("spent", line, StringComparison.Ordinal);
        Assert.DoesNotContain("cached", line, StringComparison.Ordinal);
    }
}
