namespace LlmBatch.BatchApi;

/// <summary>What merging one ended batch did.</summary>
/// <param name="Succeeded">Success lines written.</param>
/// <param name="Failed">Failure lines written (final errors, or retryable ones on an item's last submission).</param>
/// <param name="Leftover">Members still without a line: they go on (a new chunk, or online).</param>
internal readonly record struct MergeOutcome(int Succeeded, int Failed, int Leftover);
