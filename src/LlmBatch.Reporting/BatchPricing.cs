namespace LlmBatch.Reporting;

/// <summary>
/// The one place that prices tokens by how they were sent: online at the price table's price, through the provider's
/// Batch API at <see cref="BatchDiscount"/> of it, the discount OpenAI and Azure OpenAI give on batch jobs. The price
/// table lists online prices only; when it learns batch prices, they belong here, in place of the discount.
/// </summary>
public static class BatchPricing
{
    /// <summary>The share of the online price a Batch API token costs (0.5).</summary>
    public const decimal BatchDiscount = 0.5m;

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

        var online = price.Cost(promptTokens, completionTokens);
        return batch ? online * BatchDiscount : online;
    }
}
