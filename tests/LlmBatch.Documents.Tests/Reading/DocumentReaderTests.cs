namespace LlmBatch.Documents.Tests.Reading;

public sealed class DocumentReaderTests(CorpusFixture corpus) : IClassFixture<CorpusFixture>
{
    private static async Task<List<TextBlock>> Blocks(string path)
    {
        var blocks = new List<TextBlock>();
        await foreach (var b in DocumentReader.ReadAsync(path, TestContext.Current.CancellationToken))
        {
            blocks.Add(b);
        }

        return blocks;
    }

    [Fact]
    public async Task ReadAsync_Markdown_KeepsSourceExactlyAndHeadingsStartSections()
    {
        var path = corpus.PathOf("notes/intro.md");
        var blocks = await Blocks(path);

        Assert.Equal(await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken), string.Concat(blocks.Select(b => b.Text)));
        Assert.All(blocks.Where(b => b.Text.StartsWith('#')), b => Assert.Equal(BlockBoundary.Section, b.Boundary));
        Assert.Equal(7, blocks.Count(b => b.Boundary == BlockBoundary.Section));
        Assert.DoesNotContain(blocks, b => b.Text.StartsWith("# not a heading", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReadAsync_Html_VisibleTextOnlyWithHeadingSections()
    {
        var blocks = await Blocks(corpus.PathOf("web/page.html"));
        var text = string.Concat(blocks.Select(b => b.Text));

        Assert.DoesNotContain("SCRIPTTEXT", text, StringComparison.Ordinal);
        Assert.DoesNotContain("color: red", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Ignored title", text, StringComparison.Ordinal);
        Assert.DoesNotContain("NOSCRIPTTEXT", text, StringComparison.Ordinal);
        Assert.Contains("cell a\tcell b", text, StringComparison.Ordinal);
        Assert.Equal(["Harbour report", "Part 1", "Part 2", "Part 3", "Part 4"], blocks.Where(b => b.Boundary == BlockBoundary.Section).Select(b => b.Text.Trim()));
        Assert.DoesNotContain("  ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Pdf_OneSectionPerPageWithItsNumber()
    {
        var blocks = await Blocks(corpus.PathOf("report.pdf"));

        Assert.Equal(Enumerable.Range(1, TestCorpus.PdfPages).Select(i => (int?)i), blocks.Select(b => b.Page));
        Assert.All(blocks, b => Assert.Equal(BlockBoundary.Section, b.Boundary));
        Assert.All(blocks, b => Assert.StartsWith(TestCorpus.PdfWord(b.Page!.Value, 0) + " ", b.Text));
    }

    [Fact]
    public async Task ReadAsync_Docx_ParagraphsWithHeadingSections()
    {
        var blocks = await Blocks(corpus.PathOf("memo.docx"));

        Assert.Equal(["Quarterly memo", "Topic 1", "Topic 2", "Topic 3"], blocks.Where(b => b.Boundary == BlockBoundary.Section).Select(b => b.Text.Trim()));
        Assert.Equal(13, blocks.Count);
    }

    [Fact]
    public async Task ReadAsync_Windows1252Text_DecodedByDetection()
    {
        var text = await DocumentReader.ReadTextAsync(corpus.PathOf("legacy.txt"), TestContext.Current.CancellationToken);

        Assert.StartsWith("Café déjà vu: naïve façade, crème brûlée.", text);
    }

    [Theory]
    [InlineData("image.png", "binary")]
    [InlineData("secret.pdf", "encrypted")]
    [InlineData("broken.docx", "broken archive")]
    public async Task ReadAsync_UnreadableFile_ThrowsWithReason(string file, string reason)
    {
        var ex = await Assert.ThrowsAsync<DocumentUnreadableException>(() => Blocks(corpus.PathOf(file)));

        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_LongLineWithoutBreaks_ComesInBoundedBlocks()
    {
        var path = Path.Combine(corpus.Dir, "..", $"long-{Guid.NewGuid():N}.txt");
        var text = string.Concat(Enumerable.Repeat("word ", 100_000));
        await File.WriteAllTextAsync(path, text, TestContext.Current.CancellationToken);
        try
        {
            var blocks = await Blocks(path);

            Assert.Equal(text, string.Concat(blocks.Select(b => b.Text)));
            Assert.All(blocks, b => Assert.True(b.Text.Length <= 70_000));
            Assert.All(blocks.Skip(1), b => Assert.Equal(BlockBoundary.None, b.Boundary));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
