using System.Runtime.CompilerServices;

namespace LlmBatch.Documents;

/// <summary>
/// Reads a document's text as blocks, by its extension: Markdown (<c>.md</c>, <c>.markdown</c>), HTML (<c>.html</c>,
/// <c>.htm</c>, <c>.xhtml</c>), PDF, Word (<c>.docx</c>), and anything else as plain text in its detected encoding.
/// </summary>
public static class DocumentReader
{
    /// <summary>The extensions read as something other than plain text.</summary>
    public static IReadOnlyCollection<string> StructuredExtensions { get; } = [".md", ".markdown", ".html", ".htm", ".xhtml", ".pdf", ".docx"];

    /// <summary>Reads a document as blocks whose texts, concatenated, are its text (see <see cref="TextBlock"/>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The blocks, read as they are asked for.</returns>
    /// <exception cref="DocumentUnreadableException">The file cannot be read as a document (binary, encrypted, broken); thrown while enumerating.</exception>
    public static async IAsyncEnumerable<TextBlock> ReadAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".pdf":
                foreach (var block in PdfTextReader.Read(path))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return block;
                }

                break;
            case ".docx":
                foreach (var block in DocxTextReader.Read(path))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return block;
                }

                break;
            case ".html" or ".htm" or ".xhtml":
                var html = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                await using (html.ConfigureAwait(false))
                {
                    TextFileDecoder.Detect(await ReadHeadAsync(html, cancellationToken).ConfigureAwait(false));
                    html.Position = 0;
                    foreach (var block in HtmlTextReader.Read(html))
                    {
                        yield return block;
                    }
                }

                break;
            case ".md" or ".markdown":
                using (var reader = TextFileDecoder.Open(path))
                {
                    await foreach (var block in MarkdownReader.ReadAsync(reader, cancellationToken).ConfigureAwait(false))
                    {
                        yield return block;
                    }
                }

                break;
            default:
                using (var reader = TextFileDecoder.Open(path))
                {
                    await foreach (var block in PlainTextReader.ReadAsync(reader, cancellationToken).ConfigureAwait(false))
                    {
                        yield return block;
                    }
                }

                break;
        }
    }

    /// <summary>Reads a document's whole text (for tests and small files; a run streams instead).</summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The text the chunks of the document are cut from.</returns>
    public static async Task<string> ReadTextAsync(string path, CancellationToken cancellationToken = default)
    {
        var sb = new System.Text.StringBuilder();
        await foreach (var block in ReadAsync(path, cancellationToken).ConfigureAwait(false))
        {
            sb.Append(block.Text);
        }

        return sb.ToString();
    }

    private static async Task<byte[]> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new byte[64 * 1024];
        var n = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return head[..n];
    }
}
