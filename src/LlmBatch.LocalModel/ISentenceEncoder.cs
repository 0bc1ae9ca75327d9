namespace LlmBatch.LocalModel;

/// <summary>
/// Turns a batch of texts into unit-length vectors in one model invocation. The seam between the batching worker
/// and the model, so that coalescing can be tested without loading 90 MB of weights.
/// </summary>
internal interface ISentenceEncoder
{
    /// <summary>The length of every vector returned.</summary>
    int Dimensions { get; }

    /// <summary>Encodes the texts, one vector per text, in order.</summary>
    float[][] Encode(string[] texts, CancellationToken cancellationToken);
}
