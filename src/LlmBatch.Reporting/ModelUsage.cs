using LlmBatch.Cost;
using LlmBatch.Output;

namespace LlmBatch.Reporting;

/// <summary>
/// Items and tokens of one model, and their cost when its price is known. Tokens of answers given without a request
/// (response cache, shared with an identical request) are kept apart: they cost nothing and are what reuse saved.
/// </summary>
internal sealed class ModelUsage(string model)
{
    public string Model { get; } = model;

    public long Items { get; set; }

    public long Succeeded { get; set; }

    public long PromptTokens { get; set; }

    public long CompletionTokens { get; set; }

    /// <summary>Items answered from the response cache.</summary>
    public long CachedItems { get; set; }

    /// <summary>Items that shared an identical request's answer.</summary>
    public long SharedItems { get; set; }

    public long PaidPromptTokens { get; set; }

    public long PaidCompletionTokens { get; set; }

    /// <summary>Of the paid prompt tokens, those the provider served from its prompt cache.</summary>
    public long PaidCachedPromptTokens { get; set; }

    public long ReusedPromptTokens { get; set; }

    public long ReusedCompletionTokens { get; set; }

    /// <summary>Items answered through the provider's Batch API, and their tokens (paid at the batch price).</summary>
    public long BatchItems { get; set; }

    public long BatchPromptTokens { get; set; }

    public long BatchCompletionTokens { get; set; }

    public ModelPrice? Price { get; set; }

    /// <summary>What the answers paid for cost: online ones at the online price, Batch API ones at the batch price.</summary>
    public decimal? Cost => OnlineCost + BatchApiCost;

    /// <summary>The part of <see cref="Cost"/> for answers sent online.</summary>
    public decimal? OnlineCost => Price?.Cost(PaidPromptTokens, PaidCompletionTokens, PaidCachedPromptTokens);

    /// <summary>The part of <see cref="Cost"/> for answers from the provider's Batch API.</summary>
    public decimal? BatchApiCost => Price?.BatchCost(BatchPromptTokens, BatchCompletionTokens);

    /// <summary>What the answers given without a request would have cost.</summary>
    public decimal? Saved => Price?.Cost(ReusedPromptTokens, ReusedCompletionTokens);

    /// <summary>What all the answers paid for would have cost through the provider's Batch API.</summary>
    public decimal? BatchEquivalent => Price?.BatchCost(PaidPromptTokens + BatchPromptTokens, PaidCompletionTokens + BatchCompletionTokens);

    public void Add(BatchItemStats stats)
    {
        PromptTokens += stats.PromptTokens;
        CompletionTokens += stats.CompletionTokens;
        if (stats.SharedWith is not null)
        {
            SharedItems++;
        }
        else if (stats.Cached)
        {
            CachedItems++;
        }

        if (stats.SharedWith is not null || stats.Cached)
        {
            ReusedPromptTokens += stats.PromptTokens;
            ReusedCompletionTokens += stats.CompletionTokens;
        }
        else if (stats.BatchId is not null)
        {
            BatchItems++;
            BatchPromptTokens += stats.PromptTokens;
            BatchCompletionTokens += stats.CompletionTokens;
        }
        else
        {
            PaidPromptTokens += stats.PromptTokens;
            PaidCompletionTokens += stats.CompletionTokens;
            PaidCachedPromptTokens += stats.CachedPromptTokens;
        }
    }
}
