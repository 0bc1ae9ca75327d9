namespace LlmBatch.Documents;

/// <summary>How <see cref="TextChunker"/> cuts a document. Every property states its default.</summary>
public sealed class ChunkingOptions
{
    /// <summary>
    /// Tokens per chunk at most, overlap included, or null (default) to keep each document whole as one chunk.
    /// The template around a chunk is not counted: leave room for it.
    /// </summary>
    public int? MaxTokens { get; set; }

    /// <summary>Tokens each chunk repeats from the end of the one before, at most (default 0). Must be less than <see cref="MaxTokens"/>.</summary>
    public int OverlapTokens { get; set; }

    /// <summary>The model's tokenizer (required when <see cref="MaxTokens"/> is set).</summary>
    public IChunkTokenizer? Tokenizer { get; set; }

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (MaxTokens is < 1)
        {
            problems.Add($"MaxTokens (--chunk-tokens) must be positive (was {MaxTokens}).");
        }

        if (OverlapTokens < 0)
        {
            problems.Add($"OverlapTokens (--chunk-overlap) must not be negative (was {OverlapTokens}).");
        }
        else if (OverlapTokens > 0 && MaxTokens is null)
        {
            problems.Add("OverlapTokens (--chunk-overlap) needs MaxTokens (--chunk-tokens).");
        }
        else if (MaxTokens is { } max && OverlapTokens >= max)
        {
            problems.Add($"OverlapTokens (--chunk-overlap {OverlapTokens}) must be less than MaxTokens (--chunk-tokens {max}).");
        }

        if (MaxTokens is not null && Tokenizer is null)
        {
            problems.Add("Tokenizer must be set when MaxTokens is.");
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}
