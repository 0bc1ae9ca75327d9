using LlmBatch.Output;
using LlmBatch.Reporting;

namespace LlmBatch.Tests.Reporting;

public class RunSummaryBuilderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 3, 0, 0, TimeSpan.Zero);

    internal static BatchResult Result(
        string id,
        int status,
        int[] statuses,
        double startSec,
        double endSec,
        double latencyMs,
        int prompt = 10,
        int completion = 5,
        string? errorCode = null,
        double limiterWaitMs = 0,
        bool usageReported = true) => new()
        {
            CustomId = id,
            Id = "batch_req_" + id,
            StatusCode = status,
            Error = errorCode is null ? null : new BatchError(errorCode, "failed"),
            Stats = new BatchItemStats
            {
                Attempts = statuses.Length,
                Statuses = statuses,
                StartedAt = T0.AddSeconds(startSec),
                FinishedAt = T0.AddSeconds(endSec),
                LatencyMs = latencyMs,
                LimiterWaitMs = limiterWaitMs,
                PromptTokens = prompt,
                CompletionTokens = completion,
                UsageReported = usageReported,
                Model = "gpt-4o-mini",
            },
        };

    [Fact]
    public void Build_PackedItems_CountTheirSharedAttemptsOnce()
    {
        var builder = new RunSummaryBuilder();
        for (var i = 0; i < 3; i++)
        {
            var r = Result($"p{i}", 200, [429, 200], 0, 1, 100);
            builder.Add(new BatchResult { CustomId = r.CustomId, Id = r.Id, StatusCode = 200, Stats = r.Stats with { PackSize = 3, PackIndex = i } });
        }

        var s = builder.Build();
        Assert.Equal(3, s.Total);
        Assert.Equal(2, s.Attempts);
        Assert.Equal(1, s.Retries);
        Assert.Equal(1, s.RateLimited);
    }

    [Fact]
    public void Build_Empty_AllZeroAndNoTimes()
    {
        var s = new RunSummaryBuilder().Build();
        Assert.Equal(0, s.Total);
        Assert.Null(s.StartedAt);
        Assert.Null(s.FinishedAt);
        Assert.Equal(TimeSpan.Zero, s.WallTime);
        Assert.Equal(0, s.RequestsPerSecond);
        Assert.Empty(s.FailedByCode);
        Assert.Empty(s.StatusCounts);
        Assert.Null(s.PeakMemoryBytes);
    }

    [Fact]
    public void Build_MixedResults_CountsEveryFigure()
    {
        var b = new RunSummaryBuilder();
        b.Add(Result("a", 200, [200], 0, 1, 1000, prompt: 10, completion: 20, limiterWaitMs: 5));
        b.Add(Result("b", 200, [429, 500, 200], 1, 4, 500, prompt: 30, completion: 40));
        b.Add(Result("c", 400, [400], 2, 3, 200, prompt: 7, completion: 0, errorCode: "http_400", usageReported: false));
        b.Add(Result("d", 0, [0, 0], 3, 10, 300, prompt: 3, completion: 0, errorCode: "timeout", limiterWaitMs: 2.5));
        b.Add(Result("e", 429, [429, 429], 4, 6, 100, prompt: 0, completion: 0, errorCode: "http_429"));

        var s = b.Build();
        Assert.Equal(5, s.Total);
        Assert.Equal(1 + 1, s.Succeeded);
        Assert.Equal(3, s.Failed);
        Assert.Equal(1, s.FailedByCode["http_400"]);
        Assert.Equal(1, s.FailedByCode["timeout"]);
        Assert.Equal(1, s.FailedByCode["http_429"]);
        Assert.Equal(1 + 3 + 1 + 2 + 2, s.Attempts);
        Assert.Equal(0 + 2 + 0 + 1 + 1, s.Retries);
        Assert.Equal(3, s.RateLimited);
        Assert.Equal(2, s.StatusCounts[200]);
        Assert.Equal(3, s.StatusCounts[429]);
        Assert.Equal(1, s.StatusCounts[500]);
        Assert.Equal(1, s.StatusCounts[400]);
        Assert.Equal(2, s.StatusCounts[0]);
        Assert.Equal(50, s.PromptTokens);
        Assert.Equal(60, s.CompletionTokens);
        Assert.Equal(110, s.TotalTokens);
        Assert.Equal(4, s.UsageReportedItems);
        Assert.Equal(7.5, s.LimiterWaitMs);
        Assert.Equal(T0, s.StartedAt);
        Assert.Equal(T0.AddSeconds(10), s.FinishedAt);
        Assert.Equal(TimeSpan.FromSeconds(10), s.WallTime);
        Assert.Equal(0.5, s.ItemsPerSecond, 9);
        Assert.Equal(0.9, s.RequestsPerSecond, 9);
        Assert.Equal(11, s.TokensPerSecond, 9);
        Assert.Equal(1000, s.LatencyMaxMs);
        Assert.Equal(420, s.LatencyMeanMs, 9);
        Assert.InRange(s.LatencyP50Ms, 297, 303);
        Assert.Equal(1000, s.LatencyP99Ms);
    }

    [Fact]
    public void Build_GivenWallTime_UsedForRates()
    {
        var b = new RunSummaryBuilder();
        b.Add(Result("a", 200, [200], 0, 1, 10, prompt: 100, completion: 100));
        var s = b.Build(TimeSpan.FromSeconds(4));
        Assert.Equal(TimeSpan.FromSeconds(4), s.WallTime);
        Assert.Equal(0.25, s.ItemsPerSecond, 9);
        Assert.Equal(50, s.TokensPerSecond, 9);
    }

    [Fact]
    public void Add_ProviderOutputWithoutStats_CountsFinalStatusButNoTiming()
    {
        var b = new RunSummaryBuilder();
        b.Add(new BatchResult { CustomId = "x", Id = "batch_req_x", StatusCode = 200, Stats = new BatchItemStats() });
        b.Add(new BatchResult { CustomId = "y", Id = "batch_req_y", StatusCode = 500, Stats = new BatchItemStats() });
        var s = b.Build();
        Assert.Equal(2, s.Total);
        Assert.Equal(1, s.Succeeded);
        Assert.Equal(1, s.FailedByCode["http_500"]);
        Assert.Equal(1, s.StatusCounts[200]);
        Assert.Equal(0, s.Attempts);
        Assert.Null(s.StartedAt);
        Assert.Equal(0, s.LatencyMaxMs);
    }

    [Fact]
    public void Build_Twice_SnapshotsAreIndependent()
    {
        var b = new RunSummaryBuilder();
        b.Add(Result("a", 400, [400], 0, 1, 10, errorCode: "http_400"));
        var first = b.Build();
        b.Add(Result("b", 400, [400], 0, 1, 10, errorCode: "http_400"));
        var second = b.Build();
        Assert.Equal(1, first.FailedByCode["http_400"]);
        Assert.Equal(2, second.FailedByCode["http_400"]);
        Assert.Equal(1, first.StatusCounts[400]);
    }
}
