namespace LlmBatch.Input;

/// <summary>One item as read from its file, before it becomes a request.</summary>
internal sealed record ItemRow(long Line, string? Id, string? IdField, string Text, string TextField, IReadOnlyList<KeyValuePair<string, string>> Metadata);
