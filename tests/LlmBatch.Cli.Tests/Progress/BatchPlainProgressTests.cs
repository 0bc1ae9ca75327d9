using LlmBatch.BatchApi;
using LlmBatch.Cli.Progress;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Cli.Tests.Progress;

public class BatchPlainProgressTests
{
    private static BatchApiChunkProgress Chunk(int index, BatchApiStatus status, int completed, TimeSpan? eta = null) => new()
    {
        Index = index,
        Model = "gpt-4o-mini",
        Requests = 100,
        Phase = "submitted",
        BatchId = $"batch_{index}",
        Status = status,
        Completed = completed,
        Eta = eta,
    };

    [Fact]
    public async Task Start_Redirected_PlanOnceEachEventOnceAndALineWithEveryBatchsCountsEveryInterval()
    {
        var time = new FakeTimeProvider();
        var output = new StringWriter();
        var progress = new BatchApiProgress { Phase = "splitting the input into batch files", Total = 200 };
        var plan = BatchPlanner.Plan(new BatchPlanInput { Load = [new BatchModelLoad("gpt-4o-mini", 200, 2_000, 1_000)], Limits = new OnlineLimits(), Forced = BatchPlanChoice.Batch });

        var display = BatchProgressDisplay.Start(() => progress, p => "PLAN " + p.Reason + "\n", ProgressMode.Plain, output, time, TimeSpan.FromSeconds(5));
        progress = progress with
        {
            Phase = "waiting for 2 batch(es)",
            Plan = plan,
            Chunks = [Chunk(1, BatchApiStatus.InProgress, 40, TimeSpan.FromSeconds(30)), Chunk(2, BatchApiStatus.Validating, 0)],
            RecentEvents = ["batch batch_1 created for file 1 (100 requests)", "batch batch_2 created for file 2 (100 requests)"],
            EventCount = 2,
            Eta = TimeSpan.FromSeconds(30),
            Elapsed = TimeSpan.FromSeconds(5),
        };
        time.Advance(TimeSpan.FromSeconds(5));
        progress = progress with { Succeeded = 100, RecentEvents = [.. progress.RecentEvents, "batch batch_1 completed: 100 succeeded, 0 failed"], EventCount = 3 };
        time.Advance(TimeSpan.FromSeconds(1));
        await display.DisposeAsync();

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("PLAN the Batch API, as asked (--mode batch)", lines[0]);
        Assert.Equal(1, lines.Count(l => l.StartsWith("PLAN", StringComparison.Ordinal)));
        Assert.Equal(1, lines.Count(l => l == "llmbatch: batch batch_2 created for file 2 (100 requests)"));
        Assert.Equal(1, lines.Count(l => l == "llmbatch: batch batch_1 completed: 100 succeeded, 0 failed"));
        var status = lines.First(l => l.StartsWith("llmbatch: waiting for 2", StringComparison.Ordinal));
        Assert.Contains("0/200 (0.0%)", status, StringComparison.Ordinal);
        Assert.Contains("#1 batch_1 in_progress 40/100 ok, 0 failed ETA 00:00:30, #2 batch_2 validating 0/100 ok, 0 failed", status, StringComparison.Ordinal);
        Assert.EndsWith("ETA 00:00:30", status);
        Assert.Contains("100/200 (50.0%) ok 100 failed 0", lines[^1], StringComparison.Ordinal);
    }
}
