using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace LlmBatch.Documents.Tests;

/// <summary>
/// A mixed corpus written with the same libraries that read it: Markdown, HTML, plain text (UTF-8 and Windows-1252),
/// a four-page PDF whose every word names its page (<c>p3w17</c>), a DOCX with headings, and one file of each
/// unreadable kind (binary, encrypted PDF, broken DOCX archive), plus a hidden file that must not be read at all.
/// </summary>
internal static class TestCorpus
{
    public const int PdfPages = 4;

    /// <summary>The readable documents by relative path.</summary>
    public static readonly string[] Readable = ["legacy.txt", "memo.docx", "notes/intro.md", "notes/plain.txt", "report.pdf", "web/page.html"];

    /// <summary>The unreadable files and a word their reason must contain.</summary>
    public static readonly (string Path, string Reason)[] Unreadable = [("broken.docx", "broken archive"), ("image.png", "binary"), ("secret.pdf", "encrypted")];

    private static readonly string[] Words =
    [
        "river", "harbour", "ledger", "winter", "council", "lantern", "orchard", "measure", "journey", "quarry", "signal",
        "meadow", "archive", "window", "summit", "bridge", "canvas", "garden", "market", "thunder", "silver", "engine",
        "pattern", "valley", "compass", "theory", "village", "harvest", "letter", "mirror", "captain", "forest", "granite",
    ];

    public static void Write(string dir, int seed = 7)
    {
        var random = new Random(seed);
        Directory.CreateDirectory(Path.Combine(dir, "notes"));
        Directory.CreateDirectory(Path.Combine(dir, "web"));
        File.WriteAllText(Path.Combine(dir, "notes", "intro.md"), Markdown(random));
        File.WriteAllText(Path.Combine(dir, "notes", "plain.txt"), string.Join("\n\n", Enumerable.Range(0, 12).Select(_ => Paragraph(random, 3 + random.Next(6)))) + "\n");
        File.WriteAllText(Path.Combine(dir, "web", "page.html"), Html(random));
        File.WriteAllBytes(Path.Combine(dir, "legacy.txt"), Encoding.Latin1.GetBytes("Café déjà vu: naïve façade, crème brûlée.\n\n" + Paragraph(random, 8) + "\n"));
        File.WriteAllBytes(Path.Combine(dir, "report.pdf"), Pdf(random));
        WriteDocx(Path.Combine(dir, "memo.docx"), random);
        File.WriteAllText(Path.Combine(dir, ".hidden.txt"), "never read");

        var png = new byte[2048];
        random.NextBytes(png);
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 }.CopyTo(png, 0);
        File.WriteAllBytes(Path.Combine(dir, "image.png"), png);
        File.WriteAllBytes(Path.Combine(dir, "secret.pdf"), Encrypted(Pdf(random)));
        var docx = File.ReadAllBytes(Path.Combine(dir, "memo.docx"));
        File.WriteAllBytes(Path.Combine(dir, "broken.docx"), docx[..(docx.Length / 3)]);
    }

    public static string Sentence(Random random, int words)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < words; i++)
        {
            var w = Words[random.Next(Words.Length)];
            sb.Append(i == 0 ? char.ToUpperInvariant(w[0]) + w[1..] : w);
            sb.Append(i == words - 1 ? "." : random.Next(9) == 0 ? ", " : " ");
        }

        return sb.ToString();
    }

    public static string Paragraph(Random random, int sentences) =>
        string.Join(" ", Enumerable.Range(0, sentences).Select(_ => Sentence(random, 6 + random.Next(14))));

    private static string Markdown(Random random)
    {
        var sb = new StringBuilder("# Field notes\n\n").Append(Paragraph(random, 3)).Append("\n\n");
        for (var s = 1; s <= 6; s++)
        {
            sb.Append("## Section ").Append(s).Append("\n\n");
            for (var p = 0; p < 1 + (s % 4) * 2; p++)
            {
                sb.Append(Paragraph(random, 2 + random.Next(5))).Append("\n\n");
            }

            if (s == 3)
            {
                sb.Append("- first item ").Append(Sentence(random, 5)).Append("\n- second item ").Append(Sentence(random, 7)).Append("\n\n");
                sb.Append("```\ncode block line one\n# not a heading\n```\n\n");
            }
        }

        return sb.ToString();
    }

    private static string Html(Random random)
    {
        var sb = new StringBuilder("<!DOCTYPE html><html><head><title>Ignored title</title><style>body { color: red; }</style>");
        sb.Append("<script>var secret = 'SCRIPTTEXT';</script></head><body>");
        sb.Append("<h1>Harbour report</h1><p>").Append(Paragraph(random, 4)).Append("</p>");
        for (var s = 1; s <= 4; s++)
        {
            sb.Append("<h2>Part ").Append(s).Append("</h2>");
            sb.Append("<p>").Append(Paragraph(random, 3 + random.Next(5))).Append("</p><div>  ").Append(Paragraph(random, 2)).Append("\n  </div>");
        }

        sb.Append("<ul><li>one ").Append(Sentence(random, 4)).Append("</li><li>two</li></ul>");
        sb.Append("<table><tr><td>cell a</td><td>cell b</td></tr></table><noscript>NOSCRIPTTEXT</noscript><script>alert('x')</script>");
        return sb.Append("</body></html>").ToString();
    }

    /// <summary>Every word of page k is <c>pkwN</c>, so a chunk's words say which pages it covers.</summary>
    public static string PdfWord(int page, int n) => $"p{page}w{n}";

    private static byte[] Pdf(Random random)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        for (var page = 1; page <= PdfPages; page++)
        {
            var p = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
            var n = 0;
            for (var line = 0; line < 30; line++)
            {
                var words = Enumerable.Range(0, 8).Select(_ => PdfWord(page, n++));
                p.AddText(string.Join(" ", words) + (line % 3 == 2 ? "." : ""), 10, new PdfPoint(40, 800 - (line * 20)), font);
            }
        }

        _ = random;
        return builder.Build();
    }

    private static byte[] Encrypted(byte[] pdf)
    {
        // A trailer naming a standard security handler whose password checks fail: PdfPig cannot open it without one.
        var text = Encoding.Latin1.GetString(pdf);
        var trailer = text.LastIndexOf("trailer", StringComparison.Ordinal);
        var hex = new string('A', 64);
        var patched = text[..trailer] + text[trailer..].Replace("<<", $"<< /Encrypt << /Filter /Standard /V 1 /R 2 /O <{hex}> /U <{hex}> /P -4 >> ", StringComparison.Ordinal);
        return Encoding.Latin1.GetBytes(patched);
    }

    private static void WriteDocx(string path, Random random)
    {
        using var doc = WordprocessingDocument.Create(path, WordprocessingDocumentType.Document);
        var main = doc.AddMainDocumentPart();
        var body = new Body();
        body.Append(Para("Quarterly memo", "Title"));
        for (var s = 1; s <= 3; s++)
        {
            body.Append(Para($"Topic {s}", "Heading1"));
            for (var p = 0; p < 3; p++)
            {
                body.Append(Para(Paragraph(random, 2 + random.Next(4)), null));
            }
        }

        main.Document = new Document(body);
        main.Document.Save();
    }

    private static Paragraph Para(string text, string? style)
    {
        var paragraph = new Paragraph();
        if (style is not null)
        {
            paragraph.Append(new ParagraphProperties(new ParagraphStyleId { Val = style }));
        }

        paragraph.Append(new Run(new Text(text) { Space = SpaceProcessingModeValues.Preserve }));
        return paragraph;
    }
}
