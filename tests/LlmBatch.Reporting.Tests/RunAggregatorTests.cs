using LlmBatch.Cost;
using LlmBatch.Output;

namespace LlmBatch.Reporting.Tests;

public class RunAggregatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 3, 0, 0, TimeSpan.Zero);

    private static BatchResult Item(string id, double finishSeconds, double latencyMs, double limiterWaitMs, params int[] statuses) => new()
    {
        CustomId = id,
        Id = "batch_req_" + id,
        StatusCode = statuses[^1],
        Stats = new BatchItemStats
        {
            Attempts = statuses.Length,
            Statuses = statuses,
            StartedAt = T0,
            FinishedAt = T0.AddSeconds(finishSeconds),
            LatencyMs = latencyMs,
            LimiterWaitMs = limiterWaitMs,
            Model = "gpt-4o-mini",
        },
    };

    [Fact]
    public void Build_FewerItemsThanTheSampleCap_EveryLatencyKeptExactly()
    {
        var aggregator = new RunAggregator(new RunReportOptions(), maxLatencySamples: 100);
        for (var i = 0; i < 100; i++)
        {
            aggregator.Add(Item("r" + i, 1 + (i / 10.0), latencyMs: i + 1, limiterWaitMs: 0, 200));
        }

        var run = aggregator.Build();

        Assert.Equal(Enumerable.Range(1, 100).Select(i => (double)i), run.Latencies);
        Assert.Equal(1, run.LatencyWeight);
    }

    [Fact]
    public void Build_MoreItemsThanTheSampleCap_KeepsAUniformSampleWeightedToTheCount()
    {
        // 20,000 items with latencies 1..20,000 ms over 200 s: a sample of 500 must cover the whole range evenly,
        // each kept latency standing for 40 items, and the same input must give the same sample.
        RunAggregate Aggregate()
        {
            var aggregator = new RunAggregator(new RunReportOptions(), maxLatencySamples: 500);
            for (var i = 0; i < 20_000; i++)
            {
                aggregator.Add(Item("r" + i, 1 + (i / 100.0), latencyMs: i + 1, limiterWaitMs: 0, 200));
            }

            return aggregator.Build();
        }

        var run = Aggregate();

        Assert.Equal(500, run.Latencies.Length);
        Assert.Equal(40, run.LatencyWeight);
        var belowMedian = run.Latencies.Count(ms => ms <= 10_000);
        Assert.InRange(belowMedian, 200, 300);
        Assert.InRange(run.Latencies[0], 1, 500);
        Assert.InRange(run.Latencies[^1], 19_500, 20_000);
        var p50 = run.Timeline.Where(b => b.LatencyP50Ms > 0).Select(b => b.LatencyP50Ms).ToList();
        Assert.True(p50.Count > 10);
        Assert.True(p50[^1] > p50[0] * 5, "later slices hold later, slower items");
        Assert.Equal(run.Latencies, Aggregate().Latencies);
    }

    [Fact]
    public void Build_OwnResultsFirstThenEarlierLines_SameAsAddingInFileOrder()
    {
        // More items than the sample, the failure list and the slowest list keep, with tied latencies (SampleRun rounds
        // them to a tenth): what is kept must follow file order, not the order of the calls.
        var results = SampleRun.Create(3_000, seed: 11);
        var options = new RunReportOptions { FailedCount = 7, SlowestCount = 9 };
        var inFileOrder = new RunAggregator(options, maxLatencySamples: 400);
        results.ForEach(inFileOrder.Add);
        var collected = new RunAggregator(options, maxLatencySamples: 400);
        results.Skip(1_200).ToList().ForEach(collected.Add);
        collected.BeginEarlierLines();
        results.Take(1_200).ToList().ForEach(collected.Add);

        var expected = inFileOrder.Build();
        var actual = collected.Build();

        Assert.True(results.Count(r => !r.IsSuccess) > 7);
        Assert.Equal(expected.FailedItems, actual.FailedItems);
        Assert.Equal(expected.Slowest, actual.Slowest);
        Assert.Equal(expected.Latencies, actual.Latencies);
        Assert.Equal(
            expected.Timeline.Select(b => (b.StartSeconds, b.LatencyP50Ms, b.LatencyP95Ms, b.LatencyP99Ms)),
            actual.Timeline.Select(b => (b.StartSeconds, b.LatencyP50Ms, b.LatencyP95Ms, b.LatencyP99Ms)));
    }

    private static IReadOnlyList<TimeBucket> Timeline(params BatchResult[] results)
    {
        var aggregator = new RunAggregator(new RunReportOptions());
        foreach (var result in results)
        {
            aggregator.Add(result);
        }

        return aggregator.Build().Timeline;
    }

    [Fact]
    public void Build_RetriedItem_FinalAttemptWhereItStartedAndEarlierOneSpreadNotPiled()
    {
        // A 429 at some unknown moment of the first 19 s, then a 1 s final attempt: 19 s to 20 s.
        var t = Timeline(Item("a", 20, 1000, 0, 429, 200));

        Assert.Equal(21, t.Count);
        Assert.Equal(1, t[19].Status2xx, 6);
        Assert.Equal(1, t[19].Retries, 6);
        Assert.Equal(1, t.Sum(b => b.Status429), 6);
        Assert.All(t.Take(19), b => Assert.Equal(1.0 / 19, b.Status429, 6));
        Assert.Equal(2, t.Sum(b => b.Attempts), 6);
    }

    [Fact]
    public void Build_LimiterWait_SpreadFromDispatchOverTheWait()
    {
        // In progress for 10 s, of which the first 8 s waiting for the rate budget.
        var t = Timeline(Item("a", 10, 1500, 8000, 200));

        Assert.All(t.Take(8), b => Assert.Equal(1, b.LimiterWaiting, 6));
        Assert.All(t.Skip(8).Take(2), b => Assert.Equal(0, b.LimiterWaiting, 6));
        Assert.All(t.Take(10), b => Assert.Equal(1, b.InFlight, 6));
        Assert.Equal(8, t.Sum(b => b.LimiterWaiting * b.WidthSeconds), 6);
    }

    [Fact]
    public void Build_ItemsAnsweredThroughTheBatchApi_PricedAtHalfAndCostSplitByMode()
    {
        static BatchResult Priced(string id, string? batchId) => new()
        {
            CustomId = id,
            Id = "batch_req_" + id,
            StatusCode = 200,
            Stats = new BatchItemStats { Attempts = 1, Statuses = [200], StartedAt = T0, FinishedAt = T0.AddSeconds(1), PromptTokens = 1_000_000, CompletionTokens = 1_000_000, Model = "gpt-4o-mini", BatchId = batchId },
        };
        var aggregator = new RunAggregator(new RunReportOptions());
        aggregator.Add(Priced("online", null));
        aggregator.Add(Priced("batch-1", "batch_abc"));
        aggregator.Add(Priced("batch-2", "batch_abc"));

        var run = aggregator.Build();

        // gpt-4o-mini: $0.15 in + $0.60 out per million tokens; the Batch API bills half.
        Assert.Equal(0.75m, run.OnlineCost);
        Assert.Equal(0.75m, run.BatchApiCost);
        Assert.Equal(1.50m, run.Cost);
        var model = Assert.Single(run.Models);
        Assert.Equal(2, model.BatchItems);
        Assert.Equal(1.50m, model.Cost);
        Assert.Equal(0.375m, BatchPricing.Cost(PriceTable.BuiltIn, "gpt-4o-mini", 1_000_000, 1_000_000, batch: true));
        Assert.Null(BatchPricing.Cost(PriceTable.BuiltIn, "my-local-model", 1, 1, batch: true));
    }
}
