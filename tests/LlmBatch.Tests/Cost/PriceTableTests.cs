using LlmBatch.Cost;
using LlmBatch.Tests.TestSupport;

namespace LlmBatch.Tests.Cost;

public sealed class PriceTableTests
{
    [Fact]
    public void BuiltIn_HasDateCachedBatchAndEmbeddingPrices()
    {
        var table = PriceTable.BuiltIn;

        Assert.NotNull(table.AsOf);
        Assert.True(table.TryGetPrice("gpt-4o-mini-2024-07-18", out var mini));
        Assert.Equal(0.15m, mini.InputPerMillion);
        Assert.Equal(0.075m, mini.CachedInputPerMillion);
        Assert.Equal(0.30m, mini.BatchOutputPerMillion);
        Assert.True(table.TryGetPrice("text-embedding-3-small", out var embedding));
        Assert.Equal(0.01m, embedding.BatchInputPerMillion);
    }

    [Fact]
    public void TryGetPrice_UnknownModel_NoPriceNeverZero()
    {
        Assert.False(PriceTable.BuiltIn.TryGetPrice("my-finetune", out var price));
        Assert.Null(price);
        Assert.False(PriceTable.BuiltIn.TryGetPrice("gpt-4omni", out _));
    }

    [Fact]
    public void TryGetPrice_LocalModel_Free()
    {
        Assert.True(PriceTable.BuiltIn.TryGetPrice("local/all-MiniLM-L6-v2", out var price));
        Assert.Equal(0m, price.Cost(1000, 0));
    }

    [Fact]
    public void Cost_CachedPromptTokensAtTheirPrice_BatchAtBatchPrice()
    {
        var price = new ModelPrice(2m, 8m) { CachedInputPerMillion = 0.5m };

        Assert.Equal(((600 * 2m) + (400 * 0.5m) + (100 * 8m)) / 1_000_000m, price.Cost(1000, 100, cachedPromptTokens: 400));
        Assert.Equal(((1000 * 1m) + (100 * 4m)) / 1_000_000m, price.BatchCost(1000, 100));
    }

    [Fact]
    public void Load_OwnFormatWithDate_OverridesBuiltIn()
    {
        using var file = TempFile.WithText("""{"as_of":"2026-01-02","models":{"gpt-4o-mini":{"input_per_1m":1,"output_per_1m":2,"batch_input_per_1m":0.25},"mine":{"input_per_1m":3}}}""");

        var table = PriceTable.Load(file.Path);

        Assert.Equal(new DateOnly(2026, 1, 2), table.AsOf);
        Assert.True(table.TryGetPrice("gpt-4o-mini", out var mini));
        Assert.Equal(1m, mini.InputPerMillion);
        Assert.Equal(0.25m, mini.BatchInputPerMillion);
        Assert.Equal(1m, mini.BatchOutputPerMillion);
        Assert.True(table.TryGetPrice("mine", out var mine));
        Assert.Equal(0m, mine.OutputPerMillion);
        Assert.True(table.TryGetPrice("gpt-4.1", out _));
    }

    [Fact]
    public void Load_LiteLlmFileAsItIs_PerTokenPricesPerMillionAndOpenAiPrefixResolved()
    {
        using var file = TempFile.WithText("""
            {
              "sample_spec": { "input_cost_per_token": 0.0, "litellm_provider": "one of https://docs.litellm.ai/docs/providers" },
              "gpt-4o-mini": { "input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07, "cache_read_input_token_cost": 7.5e-08,
                               "input_cost_per_token_batches": 7.5e-08, "output_cost_per_token_batches": 3e-07, "litellm_provider": "openai", "mode": "chat" },
              "openai/brand-new": { "input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06, "litellm_provider": "openai" },
              "dall-e-3": { "output_cost_per_image": 0.04, "litellm_provider": "openai", "mode": "image_generation" },
              "text-embedding-3-large": { "input_cost_per_token": 1.3e-07, "output_cost_per_token": 0.0, "litellm_provider": "openai", "mode": "embedding" }
            }
            """);

        var table = PriceTable.Load(file.Path);

        Assert.True(table.TryGetPrice("gpt-4o-mini", out var mini));
        Assert.Equal(new ModelPrice(0.15m, 0.6m) { CachedInputPerMillion = 0.075m, BatchInputPerMillion = 0.075m, BatchOutputPerMillion = 0.3m }, mini);
        Assert.True(table.TryGetPrice("brand-new", out var fresh));
        Assert.Equal(2m, fresh.InputPerMillion);
        Assert.False(table.TryGetPrice("dall-e-3", out _));
        Assert.Contains("LiteLLM", table.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadValue_NamesFileModelAndField()
    {
        using var file = TempFile.WithText("""{"m":{"input_per_1m":"cheap"}}""");

        var ex = Assert.Throws<InvalidDataException>(() => PriceTable.Load(file.Path));

        Assert.Contains("\"m\".input_per_1m", ex.Message, StringComparison.Ordinal);
        Assert.Contains(file.Path, ex.Message, StringComparison.Ordinal);
    }
}
