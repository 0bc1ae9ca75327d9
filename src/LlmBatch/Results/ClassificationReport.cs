namespace LlmBatch.Results;

/// <summary>The outcome of classifying a batch: label distribution and, with gold labels, accuracy and confusion.</summary>
public sealed class ClassificationReport
{
    /// <summary>The labels, in the order given.</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>Items that got a label.</summary>
    public required long Classified { get; init; }

    /// <summary>Items that could not be classified (failed requests, answers outside the label set).</summary>
    public required long Failed { get; init; }

    /// <summary>Count and share per label, in the order of <see cref="Labels"/>.</summary>
    public required IReadOnlyList<LabelShare> Distribution { get; init; }

    /// <summary>Classified items that carried a gold label.</summary>
    public required long WithGold { get; init; }

    /// <summary>Share of <see cref="WithGold"/> items whose label matched the gold one, or null without gold labels.</summary>
    public double? Accuracy { get; init; }

    /// <summary>
    /// The confusion matrix when gold labels were present: <c>ConfusionMatrix[g][p]</c> counts items of gold label
    /// <c>ConfusionLabels[g]</c> given label <c>ConfusionLabels[p]</c>. Null without gold labels.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<long>>? ConfusionMatrix { get; init; }

    /// <summary>
    /// The rows and columns of <see cref="ConfusionMatrix"/>: <see cref="Labels"/>, followed by any gold label that
    /// is not among them.
    /// </summary>
    public IReadOnlyList<string> ConfusionLabels { get; init; } = [];

    /// <summary>The items with the smallest margin over their runner-up, least confident first (empty without scores).</summary>
    public required IReadOnlyList<ClassifiedItem> LeastConfident { get; init; }
}
