namespace LlmBatch.Documents;

/// <summary>
/// One chunk of a document. Its text is the document's text from <see cref="Start"/> to <see cref="End"/>; the first
/// <see cref="Overlap"/> characters repeat the end of the chunk before, so the chunks' texts without their overlaps,
/// concatenated, are the document's text exactly.
/// </summary>
/// <param name="Index">The 0-based position of the chunk in its document.</param>
/// <param name="Start">Offset of the chunk's first character in the document's text (UTF-16 characters).</param>
/// <param name="End">Offset just past the chunk's last character.</param>
/// <param name="Overlap">How many characters at the start repeat the previous chunk (0 for the first chunk).</param>
/// <param name="Text">The chunk's text.</param>
/// <param name="Tokens">The chunk's tokens by the model's tokenizer.</param>
/// <param name="Page">The page on which the chunk's own text (after the overlap) starts, for formats with pages; else null.</param>
/// <param name="LastPage">The page on which the chunk ends, for formats with pages; else null.</param>
public sealed record TextChunk(int Index, long Start, long End, int Overlap, string Text, int Tokens, int? Page, int? LastPage);
