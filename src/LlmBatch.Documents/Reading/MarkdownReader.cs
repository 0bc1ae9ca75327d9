using System.Runtime.CompilerServices;
using System.Text;
using Markdig;
using Markdig.Syntax;

namespace LlmBatch.Documents;

/// <summary>
/// Markdown as blocks with their structure from Markdig: a heading starts a section, any other top-level block (and
/// each list item) a paragraph. The source text is kept as written, so chunks quote the Markdown exactly. A large file
/// is parsed in segments of about a million characters, cut before a heading or a blank line outside a code fence,
/// so that memory does not grow with the file.
/// </summary>
internal static class MarkdownReader
{
    private const int SegmentChars = 1 << 20;

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().Build();

    public static async IAsyncEnumerable<TextBlock> ReadAsync(TextReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var segment = new StringBuilder();
        var inFence = false;
        await foreach (var (line, continued) in LineReader.ReadAsync(reader, cancellationToken).ConfigureAwait(false))
        {
            if (!continued && !inFence && segment.Length >= SegmentChars && (LineReader.IsBlank(line) || IsAtxHeading(line)))
            {
                foreach (var block in Blocks(segment.ToString()))
                {
                    yield return block;
                }

                segment.Clear();
            }

            if (!continued && IsFence(line))
            {
                inFence = !inFence;
            }

            segment.Append(line);
        }

        if (segment.Length > 0)
        {
            foreach (var block in Blocks(segment.ToString()))
            {
                yield return block;
            }
        }
    }

    /// <summary>The blocks of one parsed segment; together they are the segment exactly.</summary>
    internal static IEnumerable<TextBlock> Blocks(string text)
    {
        var starts = new List<(int Offset, BlockBoundary Boundary)>();
        foreach (var block in Markdown.Parse(text, Pipeline))
        {
            Add(starts, text, block.Span.Start, block is HeadingBlock ? BlockBoundary.Section : BlockBoundary.Paragraph);
            if (block is ListBlock list)
            {
                foreach (var item in list)
                {
                    Add(starts, text, item.Span.Start, BlockBoundary.Paragraph);
                }
            }
        }

        var from = 0;
        var boundary = starts.Count > 0 && starts[0].Offset == 0 ? starts[0].Boundary : BlockBoundary.Paragraph;
        foreach (var (offset, next) in starts)
        {
            if (offset > from)
            {
                yield return new TextBlock(text[from..offset], boundary);
                from = offset;
                boundary = next;
            }
            else if (offset == from)
            {
                boundary = (BlockBoundary)Math.Max((int)boundary, (int)next);
            }
        }

        if (from < text.Length)
        {
            yield return new TextBlock(text[from..], boundary);
        }
    }

    // A block's boundary is the start of its first line, so indentation and list markers stay with it.
    private static void Add(List<(int, BlockBoundary)> starts, string text, int start, BlockBoundary boundary)
    {
        if (start < 0 || start > text.Length)
        {
            return;
        }

        var lineStart = start == 0 ? 0 : text.LastIndexOf('\n', start - 1) + 1;
        if (starts.Count == 0 || starts[^1].Item1 < lineStart)
        {
            starts.Add((lineStart, boundary));
        }
    }

    private static bool IsFence(string line)
    {
        var t = line.AsSpan().TrimStart();
        return line.Length - t.Length < 4 && (t.StartsWith("```", StringComparison.Ordinal) || t.StartsWith("~~~", StringComparison.Ordinal));
    }

    private static bool IsAtxHeading(string line)
    {
        var t = line.AsSpan().TrimStart(' ');
        return line.Length - t.Length < 4 && t.StartsWith("#", StringComparison.Ordinal);
    }
}
