namespace LlmBatch.BatchApi;

/// <summary>The provider's limits on one batch input file (OpenAI's, which Azure shares).</summary>
/// <param name="MaxRequests">Requests per file (50,000).</param>
/// <param name="MaxBytes">Bytes per file (200 MB, counted as 200,000,000 to stay clear of either reading).</param>
/// <param name="MaxEmbeddingInputs">Embedding inputs per batch (50,000), an array input counting each element.</param>
internal sealed record BatchFileLimits(int MaxRequests, long MaxBytes, int MaxEmbeddingInputs);
