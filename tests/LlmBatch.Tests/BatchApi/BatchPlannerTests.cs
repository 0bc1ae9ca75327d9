using LlmBatch.BatchApi;

namespace LlmBatch.Tests.BatchApi;

public class BatchPlannerTests
{
    // 3,000 requests of 100 prompt + 50 completion tokens.
    private static readonly BatchModelLoad[] Load = [new("gpt-4o-mini", 3_000, 300_000, 150_000)];

    private static BatchPlanInput Input(TimeSpan? deadline, double? rpm = 600, double? tpm = null) => new()
    {
        Load = Load,
        Limits = new OnlineLimits { RequestsPerMinute = rpm, TokensPerMinute = tpm, Latency = TimeSpan.FromSeconds(1), MaxConcurrency = 100 },
        Deadline = deadline,
        Cost = (model, prompt, completion, batch) => (prompt + (2m * completion)) / 1_000_000m * (batch ? 0.5m : 1m),
    };

    [Fact]
    public void Plan_WholeJobFitsTheDeadlineAtTheLimits_Online()
    {
        var plan = BatchPlanner.Plan(Input(TimeSpan.FromHours(2)));

        Assert.Equal(BatchPlanChoice.Online, plan.Choice);
        Assert.Equal(3_000, plan.OnlineRequests);
        Assert.Equal(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1), plan.OnlineTimeAll);
        Assert.Equal(plan.OnlineCostAll, plan.PlannedCost);
        Assert.StartsWith("online:", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_DeadlineTooShort_SplitWithWhatFitsNinetyPercentOfItOnline()
    {
        var plan = BatchPlanner.Plan(Input(TimeSpan.FromMinutes(2)));

        // 0.9 × 120 s − 1 s latency = 107 s at 10 requests a second.
        Assert.Equal(BatchPlanChoice.Split, plan.Choice);
        Assert.Equal(1_070, plan.OnlineRequests);
        Assert.Equal(1_930, plan.BatchRequests);
        Assert.Equal((0.6m * 1_070 / 3_000) + (0.3m * 1_930 / 3_000), plan.PlannedCost);
        Assert.StartsWith("split: 1,070 online", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_TokenLimitBinds_OnlineShareByTokens()
    {
        // 150 tokens a request at 60,000 a minute: 400 a minute, the binding limit under 600 requests a minute.
        var plan = BatchPlanner.Plan(Input(TimeSpan.FromMinutes(2), rpm: 600, tpm: 60_000));

        Assert.Equal(BatchPlanChoice.Split, plan.Choice);
        Assert.Equal(713, plan.OnlineRequests);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(24 * 60)]
    [InlineData(48 * 60)]
    public void Plan_NoDeadlineOrOneTheWindowMeets_AllThroughTheBatchApiAtHalfPrice(int? minutes)
    {
        var plan = BatchPlanner.Plan(Input(minutes is { } m ? TimeSpan.FromMinutes(m) : null));

        Assert.Equal(BatchPlanChoice.Batch, plan.Choice);
        Assert.Equal(0, plan.OnlineRequests);
        Assert.Equal(0.6m, plan.OnlineCostAll);
        Assert.Equal(0.3m, plan.BatchCostAll);
        Assert.Equal(0.3m, plan.PlannedCost);
        Assert.Equal(minutes is not null, plan.DeadlineGiven);
    }

    [Fact]
    public void Plan_NoLimitKnown_ConcurrencyAtTheLatency()
    {
        // 100 in flight at 1 s each: 100 a second; 3,000 take 30 s plus one latency.
        var plan = BatchPlanner.Plan(Input(TimeSpan.FromSeconds(20), rpm: null));

        Assert.Equal(TimeSpan.FromSeconds(31), plan.OnlineTimeAll);
        Assert.Equal(1_700, plan.OnlineRequests);
    }

    [Fact]
    public void Plan_NotEvenOneFits_Batch()
    {
        var plan = BatchPlanner.Plan(Input(TimeSpan.FromSeconds(1)));

        Assert.Equal(BatchPlanChoice.Batch, plan.Choice);
        Assert.Contains("not even one request fits", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_ModelWithoutPrice_CostsUnknown()
    {
        var plan = BatchPlanner.Plan(Input(null) with { Cost = (_, _, _, _) => null });

        Assert.Null(plan.OnlineCostAll);
        Assert.Null(plan.PlannedCost);
    }

    [Theory]
    [InlineData(BatchPlanChoice.Online, 3_000)]
    [InlineData(BatchPlanChoice.Batch, 0)]
    public void Plan_Forced_TheChoiceAskedFor(BatchPlanChoice forced, long online)
    {
        var plan = BatchPlanner.Plan(Input(TimeSpan.FromSeconds(5)) with { Forced = forced });

        Assert.Equal(forced, plan.Choice);
        Assert.Equal(online, plan.OnlineRequests);
    }

    [Theory]
    [InlineData(30, "30s")]
    [InlineData(125, "2m 5s")]
    [InlineData(86_400, "24h 0m")]
    [InlineData(3 * 86_400 + 3_600, "3d 1h")]
    public void Clock_ReadableDurations(int seconds, string text) => Assert.Equal(text, BatchPlanner.Clock(TimeSpan.FromSeconds(seconds)));
}
