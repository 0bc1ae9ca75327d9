namespace LlmBatch.Reporting;

/// <summary>The price of a model's tokens, in US dollars per million tokens.</summary>
/// <param name="InputPerMillion">Price of one million prompt (input) tokens.</param>
/// <param name="OutputPerMillion">Price of one million completion (output) tokens.</param>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion)
{
    /// <summary>The cost of the given tokens at this price.</summary>
    /// <param name="promptTokens">Prompt tokens.</param>
    /// <param name="completionTokens">Completion tokens.</param>
    /// <returns>The cost in US dollars.</returns>
    public decimal Cost(long promptTokens, long completionTokens) =>
        (promptTokens * InputPerMillion + completionTokens * OutputPerMillion) / 1_000_000m;
}
