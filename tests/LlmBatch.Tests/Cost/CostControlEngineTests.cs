using LlmBatch.Cost;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Tests.TestSupport;

namespace LlmBatch.Tests.Cost;

public sealed class CostControlEngineTests
{
    // One dollar per token: a request costs its prompt plus its completion, in dollars.
    private static readonly PriceTable Prices = new(new Dictionary<string, ModelPrice> { ["gpt-4o-mini"] = new(1_000_000m, 1_000_000m) }, "test", null);

    private static async IAsyncEnumerable<BatchRequest> Requests(int n)
    {
        await Task.Yield();
        for (var i = 0; i < n; i++)
        {
            yield return ScriptedHandler.Chat("r" + i, maxTokens: 10);
        }
    }

    [Fact]
    public async Task RunAsync_NoCap_SpendIsReportedUsage()
    {
        var engine = new BatchEngineBuilder(new ScriptedHandler(ScriptedHandler.Status(200)))
            .WithOptions(new BatchOptions { RequestsPerMinute = 1e9 })
            .WithCostControl(new CostControlOptions { Prices = Prices })
            .Build();

        await foreach (var _ in engine.RunAsync(Requests(5), TestContext.Current.CancellationToken))
        {
        }

        // The scripted answer reports 5 prompt and 1 completion token.
        Assert.Equal(30m, engine.GetProgress().Cost!.Spent);
    }

    [Fact]
    public async Task RunAsync_Cap_StopsBeforePassingItAndLeavesTheRestUnwritten()
    {
        var engine = new BatchEngineBuilder(new ScriptedHandler(ScriptedHandler.Status(200)))
            .WithOptions(new BatchOptions { RequestsPerMinute = 1e9, MaxConcurrency = 2 })
            .WithCostControl(new CostControlOptions { Prices = Prices, MaxCost = 40m })
            .Build();

        var results = new List<BatchResult>();
        await foreach (var r in engine.RunAsync(Requests(20), TestContext.Current.CancellationToken))
        {
            results.Add(r);
        }

        var cost = engine.GetProgress().Cost!;
        Assert.True(cost.CapReached);
        Assert.InRange(cost.Spent, 40m - cost.LargestReservation, 40m);
        Assert.Equal((int)(cost.Spent / 6m), results.Count);
        Assert.All(results, r => Assert.True(r.IsSuccess));
    }
}
