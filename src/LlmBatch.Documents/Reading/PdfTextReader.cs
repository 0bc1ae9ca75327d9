using UglyToad.PdfPig;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using UglyToad.PdfPig.Exceptions;

namespace LlmBatch.Documents;

/// <summary>
/// The text of a PDF page by page (PdfPig, in content order), each page a section that knows its page number, with a
/// blank line between pages. Pages are loaded one at a time.
/// </summary>
internal static class PdfTextReader
{
    public static IEnumerable<TextBlock> Read(string path)
    {
        PdfDocument document;
        try
        {
            document = PdfDocument.Open(path);
        }
        catch (PdfDocumentEncryptedException ex)
        {
            throw new DocumentUnreadableException("encrypted PDF (it needs a password)", ex);
        }
        catch (Exception ex) when (ex is PdfDocumentFormatException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException)
        {
            throw new DocumentUnreadableException($"broken PDF: {ex.Message}", ex);
        }

        using (document)
        {
            var joiner = new BlockJoiner();
            for (var number = 1; number <= document.NumberOfPages; number++)
            {
                string text;
                try
                {
                    text = ContentOrderTextExtractor.GetText(document.GetPage(number));
                }
                catch (Exception ex) when (ex is PdfDocumentFormatException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException)
                {
                    throw new DocumentUnreadableException($"broken PDF: page {number}: {ex.Message}", ex);
                }

                text = text.Trim();
                if (text.Length > 0 && joiner.Add(text, BlockBoundary.Section, number) is { } done)
                {
                    yield return done;
                }
            }

            if (joiner.Finish() is { } last)
            {
                yield return last;
            }
        }
    }
}
