using System.Runtime.CompilerServices;

namespace LlmBatch.Documents.Tests.Chunking;

public sealed class TextChunkerTests(CorpusFixture corpus) : IClassFixture<CorpusFixture>
{
    private static readonly IChunkTokenizer Gpt = new TiktokenChunkTokenizer("gpt-4o-mini");

    private static async Task<List<TextChunk>> Chunk(IAsyncEnumerable<TextBlock> blocks, int max, int overlap, IChunkTokenizer? tokenizer = null)
    {
        var chunks = new List<TextChunk>();
        await foreach (var c in TextChunker.ChunkAsync(blocks, new ChunkingOptions { MaxTokens = max, OverlapTokens = overlap, Tokenizer = tokenizer ?? Gpt }, TestContext.Current.CancellationToken))
        {
            chunks.Add(c);
        }

        return chunks;
    }

    private static async IAsyncEnumerable<TextBlock> Blocks(IEnumerable<TextBlock> blocks, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var b in blocks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return b;
        }
    }

    /// <summary>The chunk invariants every document must keep, whatever its format.</summary>
    private static void AssertChunksOf(string text, List<TextChunk> chunks, int max, int overlap, IChunkTokenizer tokenizer)
    {
        Assert.NotEmpty(chunks);
        Assert.Equal(text, string.Concat(chunks.Select(c => c.Text[c.Overlap..])));
        for (var i = 0; i < chunks.Count; i++)
        {
            var c = chunks[i];
            Assert.Equal(i, c.Index);
            Assert.Equal(text[(int)c.Start..(int)c.End], c.Text);
            Assert.Equal(tokenizer.CountTokens(c.Text), c.Tokens);
            Assert.InRange(c.Tokens, 1, max);
            Assert.InRange(tokenizer.CountTokens(c.Text.AsSpan(0, c.Overlap)), 0, overlap);
            Assert.False(string.IsNullOrWhiteSpace(c.Text[c.Overlap..]));
            if (i > 0)
            {
                Assert.Equal(chunks[i - 1].End, c.Start + c.Overlap);
            }
        }
    }

    [Theory]
    [InlineData("notes/intro.md", 60, 0)]
    [InlineData("notes/intro.md", 60, 12)]
    [InlineData("notes/plain.txt", 40, 8)]
    [InlineData("web/page.html", 50, 10)]
    [InlineData("memo.docx", 30, 5)]
    [InlineData("report.pdf", 120, 20)]
    [InlineData("legacy.txt", 16, 4)]
    public async Task ChunkAsync_CorpusDocument_WithinLimitAndReconstructsExactly(string file, int max, int overlap)
    {
        var path = corpus.PathOf(file);
        var text = await DocumentReader.ReadTextAsync(path, TestContext.Current.CancellationToken);

        var chunks = await Chunk(DocumentReader.ReadAsync(path, TestContext.Current.CancellationToken), max, overlap);

        Assert.True(chunks.Count > 1, $"{file} should need several chunks at {max} tokens");
        AssertChunksOf(text, chunks, max, overlap, Gpt);
    }

    [Fact]
    public async Task ChunkAsync_Pdf_EveryChunkNamesThePagesItsWordsAreOn()
    {
        var path = corpus.PathOf("report.pdf");

        var chunks = await Chunk(DocumentReader.ReadAsync(path, TestContext.Current.CancellationToken), 100, 15);

        foreach (var c in chunks)
        {
            // Every word of the generated PDF names its page: p3w17 is on page 3.
            var pages = c.Text[c.Overlap..].Split([' ', '\n', '.'], StringSplitOptions.RemoveEmptyEntries).Select(w => int.Parse(w[1..w.IndexOf('w')])).ToList();
            Assert.Equal(pages[0], c.Page);
            Assert.Equal(pages[^1], c.LastPage);
        }

        Assert.Equal(Enumerable.Range(1, TestCorpus.PdfPages).Select(p => (int?)p), chunks.Select(c => c.Page).Distinct());
    }

    [Fact]
    public async Task ChunkAsync_Markdown_CutsAtSectionsWhenTheyFit()
    {
        var path = corpus.PathOf("notes/intro.md");
        var text = await DocumentReader.ReadTextAsync(path, TestContext.Current.CancellationToken);
        var sections = new List<int>();
        await foreach (var b in DocumentReader.ReadAsync(path, TestContext.Current.CancellationToken))
        {
            if (b.Boundary == BlockBoundary.Section)
            {
                sections.Add(sections.Count == 0 ? 0 : text.IndexOf(b.Text, StringComparison.Ordinal));
            }
        }

        var chunks = await Chunk(DocumentReader.ReadAsync(path, TestContext.Current.CancellationToken), 400, 0);

        // Each chunk ends where a section starts (or at the end), unless the section it ends in is alone over the
        // limit, or what comes before it would be a scrap (under a quarter of the limit): small sections share
        // chunks, and only a large one is cut in two.
        sections.Add(text.Length);
        foreach (var c in chunks.Where(c => c.End != text.Length && !sections.Contains((int)c.End)))
        {
            var s = sections.FindLastIndex(o => o < c.End);
            var sectionTokens = Gpt.CountTokens(text.AsSpan(sections[s], sections[s + 1] - sections[s]));
            var before = Gpt.CountTokens(text.AsSpan((int)c.Start, Math.Max(0, sections[s] - (int)c.Start)));
            Assert.True(sectionTokens > 400 || before < 100, $"chunk {c.Index} {c.Start}-{c.End} ends inside a section that fits after {before} tokens of others");
        }

        Assert.True(chunks.Count < sections.Count);
    }

    [Fact]
    public async Task ChunkAsync_SentenceLongerThanLimit_CutAtWordsThenInsideAWord()
    {
        var text = string.Join(" ", Enumerable.Range(0, 500).Select(i => $"word{i}")) + " " + new string('x', 3000) + " tail.";

        var chunks = await Chunk(Blocks([new TextBlock(text, BlockBoundary.Paragraph)], TestContext.Current.CancellationToken), 50, 10);

        AssertChunksOf(text, chunks, 50, 10, Gpt);
    }

    [Fact]
    public async Task ChunkAsync_PrefersParagraphThenSentence()
    {
        var blocks = new[]
        {
            new TextBlock("One two three. Four five six. Seven eight.\n\n", BlockBoundary.Paragraph),
            new TextBlock("Nine ten eleven twelve. Thirteen fourteen.\n\n", BlockBoundary.Paragraph),
        };

        var chunks = await Chunk(Blocks(blocks, TestContext.Current.CancellationToken), 10, 0, new WhitespaceTokenizer());

        Assert.Equal(["One two three. Four five six. Seven eight.\n\n", "Nine ten eleven twelve. Thirteen fourteen.\n\n"], chunks.Select(c => c.Text));
        var sentences = await Chunk(Blocks(blocks, TestContext.Current.CancellationToken), 7, 0, new WhitespaceTokenizer());
        Assert.Equal("One two three. Four five six. ", sentences[0].Text);
    }

    [Fact]
    public async Task ChunkAsync_WhitespaceOnlyDocument_NoChunk()
    {
        Assert.Empty(await Chunk(Blocks([new TextBlock("  \n\n \n", BlockBoundary.Paragraph)], TestContext.Current.CancellationToken), 10, 0));
    }

    [Fact]
    public async Task ChunkAsync_NoLimit_OneChunkForTheWholeDocument()
    {
        var chunks = new List<TextChunk>();
        await foreach (var c in TextChunker.ChunkAsync(Blocks([new("a b\n\n", BlockBoundary.Paragraph), new("c d", BlockBoundary.Section)], TestContext.Current.CancellationToken), new ChunkingOptions(), TestContext.Current.CancellationToken))
        {
            chunks.Add(c);
        }

        Assert.Equal("a b\n\nc d", Assert.Single(chunks).Text);
    }
}
