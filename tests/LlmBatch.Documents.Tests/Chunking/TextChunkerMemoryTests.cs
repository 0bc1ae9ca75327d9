namespace LlmBatch.Documents.Tests.Chunking;

/// <summary>
/// The chunker's memory on a long stream. <see cref="GC.GetTotalMemory"/> counts the whole process, so this runs alone
/// (a collection with parallelisation off): beside other tests it measured their allocations too and failed on CI.
/// </summary>
[Collection(nameof(TextChunkerMemoryTests))]
[CollectionDefinition(nameof(TextChunkerMemoryTests), DisableParallelization = true)]
public sealed class TextChunkerMemoryTests
{
    [Fact]
    public async Task ChunkAsync_40MBStream_HoldsOnlyAFewChunksInMemory()
    {
        // 40 MB of text (80 MB as UTF-16) in 64 KB blocks, never all at once: the chunker must let go of what it has cut.
        var paragraph = string.Join(" ", Enumerable.Range(0, 12_000).Select(i => i % 20 == 19 ? $"w{i % 97}." : $"w{i % 97}")) + "\n\n";
        async IAsyncEnumerable<TextBlock> Stream()
        {
            for (long produced = 0; produced < 40_000_000; produced += paragraph.Length)
            {
                await Task.Yield();
                yield return new TextBlock(paragraph, BlockBoundary.Paragraph);
            }
        }

        long peak = 0, chunks = 0, end = 0;
        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        await foreach (var c in TextChunker.ChunkAsync(Stream(), new ChunkingOptions { MaxTokens = 4000, OverlapTokens = 100, Tokenizer = new WhitespaceTokenizer() }, TestContext.Current.CancellationToken))
        {
            Assert.Equal(end, c.Start + c.Overlap);
            end = c.End;
            if (++chunks % 500 == 0)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
            }
        }

        Assert.True(end >= 40_000_000);
        Assert.True(peak < 16 << 20, $"peak {peak / 1e6:F1} MB above the baseline");
    }
}
