namespace LlmBatch.Results;

/// <summary>How many items got one label.</summary>
/// <param name="Label">The label.</param>
/// <param name="Count">Items given the label.</param>
/// <param name="Share">Count divided by the items classified (0 when none were).</param>
public sealed record LabelShare(string Label, long Count, double Share);
