using LlmBatch.RateLimiting;

namespace LlmBatch.Documents;

/// <summary>
/// The tokenizer of an OpenAI model by name (<see cref="TokenCounter"/>: o200k_base or cl100k_base by model family),
/// the same one the rate limiter counts with.
/// </summary>
/// <param name="model">The model name, for example <c>gpt-4o-mini</c> or <c>text-embedding-3-small</c>.</param>
public sealed class TiktokenChunkTokenizer(string model) : IChunkTokenizer
{
    /// <inheritdoc />
    public int CountTokens(ReadOnlySpan<char> text) => TokenCounter.Shared.CountText(model, text);
}
