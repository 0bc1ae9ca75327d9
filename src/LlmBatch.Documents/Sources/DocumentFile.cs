namespace LlmBatch.Documents;

/// <summary>A document found for a run.</summary>
/// <param name="FullPath">Where it is.</param>
/// <param name="RelativePath">Its path relative to the folder (or glob base) given, with <c>/</c> separators: its custom_id.</param>
public sealed record DocumentFile(string FullPath, string RelativePath);
