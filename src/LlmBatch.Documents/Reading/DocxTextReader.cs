using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;

namespace LlmBatch.Documents;

/// <summary>
/// The paragraphs of a Word document (Open XML SDK), read with its forward-only reader one paragraph at a time.
/// Paragraphs styled as a heading or title start sections; tabs and line breaks inside a paragraph are kept.
/// </summary>
internal static class DocxTextReader
{
    public static IEnumerable<TextBlock> Read(string path)
    {
        WordprocessingDocument document;
        try
        {
            document = WordprocessingDocument.Open(path, isEditable: false);
        }
        catch (Exception ex) when (ex is OpenXmlPackageException or FileFormatException or InvalidDataException or IOException)
        {
            throw new DocumentUnreadableException($"broken archive: not a readable .docx ({ex.Message})", ex);
        }

        using (document)
        {
            var main = document.MainDocumentPart ?? throw new DocumentUnreadableException("broken archive: the .docx has no main document part");
            var joiner = new BlockJoiner();
            using var reader = OpenXmlReader.Create(main);
            while (Next(reader))
            {
                if (reader.ElementType != typeof(Paragraph) || !reader.IsStartElement)
                {
                    continue;
                }

                var paragraph = (Paragraph)reader.LoadCurrentElement()!;
                var text = TextOf(paragraph);
                if (text.Trim().Length == 0)
                {
                    continue;
                }

                var style = paragraph.ParagraphProperties?.ParagraphStyleId?.Val?.Value ?? "";
                var heading = style.StartsWith("Heading", StringComparison.OrdinalIgnoreCase) || style.Equals("Title", StringComparison.OrdinalIgnoreCase);
                if (joiner.Add(text, heading ? BlockBoundary.Section : BlockBoundary.Paragraph) is { } done)
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

    private static bool Next(OpenXmlReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (System.Xml.XmlException ex)
        {
            throw new DocumentUnreadableException($"broken archive: the .docx's XML is damaged ({ex.Message})", ex);
        }
    }

    private static string TextOf(Paragraph paragraph)
    {
        var sb = new StringBuilder();
        foreach (var element in paragraph.Descendants())
        {
            switch (element)
            {
                case Text t:
                    sb.Append(t.Text);
                    break;
                case TabChar:
                    sb.Append('\t');
                    break;
                case Break or CarriageReturn:
                    sb.Append('\n');
                    break;
            }
        }

        return sb.ToString();
    }
}
