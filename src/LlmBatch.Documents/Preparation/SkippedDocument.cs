namespace LlmBatch.Documents;

/// <summary>A file that was not processed, and why (binary, encrypted PDF, broken archive, no text).</summary>
/// <param name="Path">The file's path relative to the input.</param>
/// <param name="Reason">Why it was skipped.</param>
public sealed record SkippedDocument(string Path, string Reason);
