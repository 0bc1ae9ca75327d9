namespace LlmBatch.Results;

/// <summary>The label chosen for one item.</summary>
/// <param name="CustomId">The item's custom_id.</param>
/// <param name="Label">The label chosen.</param>
/// <param name="Score">The chosen label's score (cosine similarity for zero-shot), or null when the method gives none.</param>
/// <param name="RunnerUp">The second-best label, or null when the method gives none.</param>
/// <param name="RunnerUpScore">The runner-up's score, or null.</param>
/// <param name="Gold">The item's true label when the input carries one, else null.</param>
public sealed record ClassifiedItem(string CustomId, string Label, double? Score = null, string? RunnerUp = null, double? RunnerUpScore = null, string? Gold = null)
{
    /// <summary>How far the chosen label is ahead of the runner-up: small means unsure. Null without scores.</summary>
    public double? Margin => Score is { } s && RunnerUpScore is { } r ? s - r : null;
}
