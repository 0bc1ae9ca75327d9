using Microsoft.Extensions.AI;

namespace LlmBatch.LocalModel;

/// <summary>
/// The embedded offline model: all-MiniLM-L6-v2 run in-process, with its weights inside the package, so that
/// embeddings and zero-shot classification work with no API key and no network.
/// </summary>
public static class LocalModels
{
    /// <summary>The model name that selects the embedded model in a request body: <c>local/all-MiniLM-L6-v2</c>.</summary>
    public const string EmbeddingModelId = "local/all-MiniLM-L6-v2";

    /// <summary>The length of the embedded model's vectors: 384.</summary>
    public const int Dimensions = 384;

    /// <summary>
    /// The embedded model's input limit in word pieces, its [CLS] and [SEP] included: 256, the limit of the
    /// all-MiniLM-L6-v2 model card. Document chunks for it default to this limit less those two.
    /// </summary>
    public const int MaxInputTokens = 256;

    /// <summary>Counts the word pieces of a text with the embedded model's own tokenizer ([CLS] and [SEP] not included).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The number of word pieces.</returns>
    public static int CountTokens(ReadOnlySpan<char> text) => MiniLmTokenCounter.Count(text);

    /// <summary>
    /// Creates an embedding generator over the embedded model. Concurrent calls are coalesced into model batches of
    /// up to <see cref="LocalEmbeddingOptions.MaxBatchSize"/> inputs by one worker thread; the model is loaded once
    /// per process, on first use. Vectors are L2-normalised, so a dot product is the cosine similarity.
    /// </summary>
    /// <param name="options">Batching options; null for the defaults.</param>
    /// <returns>The generator; dispose it to stop its worker.</returns>
    /// <exception cref="BatchOptionsException">The options are invalid.</exception>
    public static IEmbeddingGenerator<string, Embedding<float>> CreateEmbeddingGenerator(LocalEmbeddingOptions? options = null)
    {
        options ??= new LocalEmbeddingOptions();
        options.Validate();
        return new LocalEmbeddingGenerator(MiniLmSentenceEncoder.Shared, options.MaxBatchSize);
    }

    /// <summary>
    /// True when a request's <c>model</c> names the embedded model: <c>local/all-MiniLM-L6-v2</c>, any other
    /// <c>local/</c> name, or the bare <c>all-MiniLM-L6-v2</c> (case-insensitive).
    /// </summary>
    /// <param name="model">The model named in a request body.</param>
    /// <returns>True for the embedded model.</returns>
    public static bool IsLocalModel(string? model)
        => model is not null
           && (model.StartsWith("local/", StringComparison.OrdinalIgnoreCase)
               || string.Equals(model, "all-MiniLM-L6-v2", StringComparison.OrdinalIgnoreCase)
               || string.Equals(model, "sentence-transformers/all-MiniLM-L6-v2", StringComparison.OrdinalIgnoreCase));
}
