using Microsoft.Extensions.AI;

namespace LlmBatch.Typed;

/// <summary>One text to embed in a typed batch: what an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> would take for one value, plus an id.</summary>
/// <param name="Id">
/// The item's identifier, unique within the batch: it becomes the request's <c>custom_id</c>, so the output file
/// (the checkpoint) knows the item is done and a rerun does not send it again.
/// </param>
/// <param name="Text">The text to embed.</param>
/// <param name="Options">
/// The options (default null). <see cref="EmbeddingGenerationOptions.ModelId"/> names the model; when null, the
/// runner's <see cref="TypedBatchOptions.EmbeddingModel"/> is used.
/// </param>
public sealed record EmbeddingBatchItem(string Id, string Text, EmbeddingGenerationOptions? Options = null);
