namespace LlmBatch.Reporting;

/// <summary>Items and tokens of one model, and their cost when its price is known.</summary>
internal sealed class ModelUsage(string model)
{
    public string Model { get; } = model;

    public long Items { get; set; }

    public long Succeeded { get; set; }

    public long PromptTokens { get; set; }

    public long CompletionTokens { get; set; }

    public ModelPrice? Price { get; set; }

    public decimal? Cost => Price?.Cost(PromptTokens, CompletionTokens);
}
