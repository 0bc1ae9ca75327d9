namespace LlmBatch.Documents;

/// <summary>
/// A piece of a document's text as its reader produces it. The blocks of a document, concatenated, are its text
/// exactly: separators (blank lines, the line breaks put between PDF pages or DOCX paragraphs) belong to the block
/// they end, so every block but a continuation starts at a unit's first character.
/// </summary>
/// <param name="Text">The text.</param>
/// <param name="Boundary">What separates this block from the one before.</param>
/// <param name="Page">The 1-based page this block is on (PDF), or null when the format has no pages.</param>
public readonly record struct TextBlock(string Text, BlockBoundary Boundary, int? Page = null);
