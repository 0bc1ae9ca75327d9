namespace LlmBatch.Reporting;

/// <summary>Items and tokens of one model, and their cost when its price is known.</summary>
internal sealed class ModelUsage(string model)
{
    public string Model { get; } = model;

    public long Items { get; set; }

    public long Succeeded { get; set; }

    public long PromptTokens { get; set; }

    public long CompletionTokens { get; set; }

    /// <summary>Items answered through the Batch API, and their tokens (also counted in the totals above).</summary>
    public long BatchItems { get; set; }

    public long BatchPromptTokens { get; set; }

    public long BatchCompletionTokens { get; set; }

    public ModelPrice? Price { get; set; }

    /// <summary>Online tokens at the online price plus Batch API tokens at the batch price; null without a price.</summary>
    public decimal? Cost { get; set; }
}
