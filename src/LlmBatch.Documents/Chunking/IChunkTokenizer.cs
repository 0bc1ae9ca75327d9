namespace LlmBatch.Documents;

/// <summary>Counts tokens the way the target model does, so that chunk limits are the model's own.</summary>
public interface IChunkTokenizer
{
    /// <summary>The number of tokens of <paramref name="text"/>, without any special tokens a model adds around an input.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The token count.</returns>
    int CountTokens(ReadOnlySpan<char> text);
}
