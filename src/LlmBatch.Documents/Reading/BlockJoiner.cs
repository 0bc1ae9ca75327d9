namespace LlmBatch.Documents;

/// <summary>
/// Joins extracted units (HTML blocks, PDF pages, DOCX paragraphs) into a document text with a blank line between
/// them. The separator goes at the end of the unit before, so that every block starts at its unit's first character;
/// one unit is held back until the next one shows whether a separator is needed.
/// </summary>
internal sealed class BlockJoiner
{
    private const string Separator = "\n\n";
    private TextBlock? _held;

    /// <summary>Adds a unit; returns the unit before it, now complete, if there was one.</summary>
    public TextBlock? Add(string text, BlockBoundary boundary, int? page = null)
    {
        var previous = _held;
        _held = new TextBlock(text, boundary, page);
        return previous is { } p ? p with { Text = p.Text + Separator } : null;
    }

    /// <summary>The last unit, without a separator after it.</summary>
    public TextBlock? Finish()
    {
        var last = _held;
        _held = null;
        return last;
    }
}
