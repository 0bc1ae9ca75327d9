namespace LlmBatch.Cost;

/// <summary>
/// The price of a model's tokens, in US dollars per million tokens, online and through the provider's Batch API.
/// Prices not given default to what the providers bill when they publish no separate figure: cached prompt tokens at the
/// full prompt price, and the Batch API at half the online price (OpenAI's and Azure's Batch API discount).
/// </summary>
/// <param name="InputPerMillion">Price of one million prompt (input) tokens, online.</param>
/// <param name="OutputPerMillion">Price of one million completion (output) tokens, online; 0 for embeddings.</param>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion)
{
    /// <summary>Price of one million prompt tokens the provider served from its prompt cache (default: <see cref="InputPerMillion"/>).</summary>
    public decimal CachedInputPerMillion { get; init; } = InputPerMillion;

    /// <summary>Price of one million prompt tokens through the Batch API (default: half of <see cref="InputPerMillion"/>).</summary>
    public decimal BatchInputPerMillion { get; init; } = InputPerMillion / 2;

    /// <summary>Price of one million completion tokens through the Batch API (default: half of <see cref="OutputPerMillion"/>).</summary>
    public decimal BatchOutputPerMillion { get; init; } = OutputPerMillion / 2;

    /// <summary>The online cost of the given tokens.</summary>
    /// <param name="promptTokens">Prompt tokens, the cached ones included (as <c>usage.prompt_tokens</c> counts them).</param>
    /// <param name="completionTokens">Completion tokens.</param>
    /// <param name="cachedPromptTokens">How many of the prompt tokens the provider served from its prompt cache (<c>usage.prompt_tokens_details.cached_tokens</c>).</param>
    /// <returns>The cost in US dollars.</returns>
    public decimal Cost(long promptTokens, long completionTokens, long cachedPromptTokens = 0)
    {
        var cached = Math.Clamp(cachedPromptTokens, 0, Math.Max(0, promptTokens));
        return (((promptTokens - cached) * InputPerMillion) + (cached * CachedInputPerMillion) + (completionTokens * OutputPerMillion)) / 1_000_000m;
    }

    /// <summary>The cost of the given tokens through the provider's Batch API.</summary>
    /// <param name="promptTokens">Prompt tokens.</param>
    /// <param name="completionTokens">Completion tokens.</param>
    /// <returns>The cost in US dollars.</returns>
    public decimal BatchCost(long promptTokens, long completionTokens) =>
        ((promptTokens * BatchInputPerMillion) + (completionTokens * BatchOutputPerMillion)) / 1_000_000m;
}
