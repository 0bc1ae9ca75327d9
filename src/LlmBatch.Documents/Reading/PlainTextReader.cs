using System.Runtime.CompilerServices;
using System.Text;

namespace LlmBatch.Documents;

/// <summary>Plain text as a stream of paragraphs (runs of lines ended by a blank line); never the whole file at once.</summary>
internal static class PlainTextReader
{
    /// <summary>A block is handed on once it holds this many characters even without a paragraph break.</summary>
    private const int MaxBlockChars = 64 * 1024;

    public static async IAsyncEnumerable<TextBlock> ReadAsync(TextReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var block = new StringBuilder();
        var boundary = BlockBoundary.Paragraph;
        var sawBlank = false;
        await foreach (var (line, continued) in LineReader.ReadAsync(reader, cancellationToken).ConfigureAwait(false))
        {
            var blank = !continued && LineReader.IsBlank(line);
            if (!blank && sawBlank && block.Length > 0)
            {
                // The blank lines end the paragraph before; this line starts the next.
                yield return new TextBlock(block.ToString(), boundary);
                block.Clear();
                boundary = BlockBoundary.Paragraph;
            }
            else if (block.Length > 0 && block.Length + line.Length > MaxBlockChars)
            {
                yield return new TextBlock(block.ToString(), boundary);
                block.Clear();
                boundary = BlockBoundary.None;
            }

            sawBlank = blank;
            block.Append(line);
        }

        if (block.Length > 0)
        {
            yield return new TextBlock(block.ToString(), boundary);
        }
    }
}
