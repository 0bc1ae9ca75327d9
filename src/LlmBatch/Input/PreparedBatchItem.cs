namespace LlmBatch.Input;

/// <summary>One item of a simple input turned into a request, with the columns that travel alongside it.</summary>
/// <param name="Request">The Batch API request built from the item.</param>
/// <param name="Text">The item's text before the template was applied.</param>
/// <param name="Metadata">The item's other columns or fields (the id and text columns excluded), in source order.</param>
public sealed record PreparedBatchItem(BatchRequest Request, string Text, IReadOnlyList<KeyValuePair<string, string>> Metadata);
