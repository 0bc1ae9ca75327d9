namespace LlmBatch.Packing;

/// <summary>
/// How embeddings requests of one input each are packed into requests of many (the seed's <c>batch_size</c>). At a
/// request-per-minute limit, throughput grows with the pack: 20,000 inputs at 600 RPM take 33 minutes one by one and
/// a few seconds in packs of 2,048.
/// </summary>
internal readonly record struct PackingOptions(int MaxInputs, long MaxTokens)
{
    /// <summary>OpenAI's limit on inputs per embeddings request.</summary>
    public const int ProviderMaxInputs = 2048;

    /// <summary>OpenAI's limit on the tokens of all inputs of one embeddings request.</summary>
    public const long ProviderMaxTokens = 300_000;

    /// <summary>The packing for <see cref="BatchOptions.PackSize"/>: null packs within the provider's limits, 1 turns packing off.</summary>
    public static PackingOptions? From(int? packSize) => packSize switch
    {
        1 => null,
        { } n => new PackingOptions(Math.Min(n, ProviderMaxInputs), ProviderMaxTokens),
        null => new PackingOptions(ProviderMaxInputs, ProviderMaxTokens),
    };
}
