using LlmBatch.Cost;

namespace LlmBatch.Reporting;

/// <summary>
/// Prices tokens by how they were sent: online at the price table's price, through the provider's Batch API at its
/// batch price (<see cref="ModelPrice.BatchCost"/>: the table's batch price, or half the online price where the table
/// gives none, the discount OpenAI and Azure OpenAI give on batch jobs).
/// </summary>
public static class BatchPricing
{
    /// <summary>The cost of tokens of <paramref name="model"/>, sent online or through the Batch API.</summary>
    /// <param name="prices">The price table.</param>
    /// <param name="model">The model.</param>
    /// <param name="promptTokens">Prompt (input) tokens.</param>
    /// <param name="completionTokens">Completion (output) tokens.</param>
    /// <param name="batch">True for tokens sent through the Batch API.</param>
    /// <returns>US dollars, or null when the table has no price for the model.</returns>
    public static decimal? Cost(PriceTable prices, string model, long promptTokens, long completionTokens, bool batch)
    {
        ArgumentNullException.ThrowIfNull(prices);
        if (!prices.TryGetPrice(model, out var price))
        {
            return null;
        }

        return batch ? price.BatchCost(promptTokens, completionTokens) : price.Cost(promptTokens, completionTokens);
    }
}
