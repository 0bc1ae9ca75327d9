namespace LlmBatch.Documents;

/// <summary>What separates a <see cref="TextBlock"/> from the text before it: the natural boundaries a chunk prefers to end at.</summary>
public enum BlockBoundary
{
    /// <summary>No boundary: the block continues the one before (a reader cut a long run of text to bound its memory).</summary>
    None,

    /// <summary>A new paragraph (a blank line in text and Markdown, a block element in HTML, a paragraph in DOCX).</summary>
    Paragraph,

    /// <summary>A new section: a Markdown or HTML heading, a DOCX heading or title, a PDF page.</summary>
    Section,
}
