namespace LlmBatch.Results;

/// <summary>
/// Zero-shot classification by embeddings: each item goes to the label whose embedding is nearest by cosine
/// similarity, with its score and the runner-up's.
/// </summary>
internal sealed class ZeroShotClassifier
{
    private readonly string[] _labels;
    private readonly float[][] _vectors;

    /// <summary>Creates the classifier from the labels' embeddings.</summary>
    /// <param name="labels">The label names, at least two.</param>
    /// <param name="labelVectors">One embedding per label, in the same order, all of one length.</param>
    /// <exception cref="ArgumentException">Counts or lengths disagree, or fewer than two labels.</exception>
    public ZeroShotClassifier(IReadOnlyList<string> labels, IReadOnlyList<ReadOnlyMemory<float>> labelVectors)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(labelVectors);
        if (labels.Count < 2)
        {
            throw new ArgumentException($"At least two labels are needed (found {labels.Count}).", nameof(labels));
        }

        if (labels.Count != labelVectors.Count)
        {
            throw new ArgumentException($"{labels.Count} labels but {labelVectors.Count} vectors.", nameof(labelVectors));
        }

        _labels = [.. labels];
        _vectors = new float[labelVectors.Count][];
        for (var i = 0; i < _vectors.Length; i++)
        {
            _vectors[i] = labelVectors[i].ToArray();
            if (_vectors[i].Length == 0 || _vectors[i].Length != _vectors[0].Length)
            {
                throw new ArgumentException($"The vector of label \"{labels[i]}\" has {_vectors[i].Length} values; expected {_vectors[0].Length}.", nameof(labelVectors));
            }
        }
    }

    /// <summary>The label names, in order.</summary>
    public IReadOnlyList<string> Labels => _labels;

    /// <summary>The length of the vectors this classifier expects.</summary>
    public int Dimensions => _vectors[0].Length;

    /// <summary>Chooses the nearest label.</summary>
    /// <param name="customId">The item's custom_id.</param>
    /// <param name="vector">The item's embedding.</param>
    /// <param name="gold">The true label, when known.</param>
    /// <returns>The label, its cosine similarity, and the runner-up.</returns>
    /// <exception cref="ArgumentException">The vector's length differs from the labels'.</exception>
    public ClassifiedItem Classify(string customId, ReadOnlySpan<float> vector, string? gold = null)
    {
        if (vector.Length != Dimensions)
        {
            throw new ArgumentException($"The vector of \"{customId}\" has {vector.Length} values; the labels have {Dimensions}.", nameof(vector));
        }

        int best = -1, second = -1;
        double bestScore = double.NegativeInfinity, secondScore = double.NegativeInfinity;
        for (var i = 0; i < _vectors.Length; i++)
        {
            var score = Cosine(vector, _vectors[i]);
            if (double.IsNaN(score))
            {
                // A zero vector has no direction; rank it last rather than letting NaN win comparisons.
                score = double.NegativeInfinity;
            }

            if (score > bestScore)
            {
                second = best;
                secondScore = bestScore;
                best = i;
                bestScore = score;
            }
            else if (score > secondScore)
            {
                second = i;
                secondScore = score;
            }
        }

        best = best < 0 ? 0 : best;
        second = second < 0 ? (best == 0 ? 1 : 0) : second;
        return new ClassifiedItem(customId, _labels[best], Finite(bestScore), _labels[second], Finite(secondScore), gold);
    }

    /// <summary>Cosine similarity, accumulated in double so long vectors lose no precision; NaN for a zero vector.</summary>
    internal static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / (Math.Sqrt(na) * Math.Sqrt(nb));
    }

    private static double? Finite(double x) => double.IsFinite(x) ? x : null;
}
