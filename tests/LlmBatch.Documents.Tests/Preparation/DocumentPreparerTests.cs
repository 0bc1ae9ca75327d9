using System.Text.Json;
using LlmBatch.Input;

namespace LlmBatch.Documents.Tests.Preparation;

public sealed class DocumentPreparerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("llmbatch-prepare-").FullName;

    public DocumentPreparerTests() => TestCorpus.Write(Path.Combine(_dir, "corpus"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Corpus => Path.Combine(_dir, "corpus");

    private DocumentPrepareOptions Options(string template = "{text}", string? output = null) => new()
    {
        Requests = new BatchInputConversionOptions { Model = "gpt-4o-mini", Template = template, MaxTokens = 50 },
        Chunking = new ChunkingOptions { MaxTokens = 80, OverlapTokens = 10, Tokenizer = new TiktokenChunkTokenizer("gpt-4o-mini") },
        OutputPath = output,
    };

    private async Task<DocumentPrepareReport> Prepare(DocumentPrepareOptions options) =>
        await DocumentPreparer.PrepareAsync(Corpus, Path.Combine(_dir, "requests.jsonl"), Path.Combine(_dir, "manifest.jsonl"), options, TestContext.Current.CancellationToken);

    private async Task<List<ManifestEntry>> Manifest()
    {
        var entries = new List<ManifestEntry>();
        await foreach (var e in DocumentManifest.ReadAsync(Path.Combine(_dir, "manifest.jsonl"), cancellationToken: TestContext.Current.CancellationToken))
        {
            entries.Add(e);
        }

        return entries;
    }

    [Fact]
    public async Task PrepareAsync_MixedCorpus_OneRequestPerChunkWithPathIdsAndUnreadableNamed()
    {
        var report = await Prepare(Options("Part {chunk} of {chunks} of {path} (page {page}): {text}"));

        Assert.Equal(TestCorpus.Readable.Length, report.Documents);
        Assert.Equal(TestCorpus.Unreadable.Select(u => u.Path), report.Skipped.Select(s => s.Path));
        foreach (var (path, reason) in TestCorpus.Unreadable)
        {
            Assert.Contains(reason, report.Skipped.Single(s => s.Path == path).Reason, StringComparison.Ordinal);
        }

        var check = await BatchInputFile.ValidateAsync(report.RequestsPath, cancellationToken: TestContext.Current.CancellationToken);
        check.ThrowIfInvalid();
        Assert.Equal(report.Chunks, check.Requests);

        var manifest = await Manifest();
        var chunks = manifest.Where(e => e.IsChunk).ToList();
        Assert.Equal(report.Chunks, chunks.Count);
        Assert.Equal(TestCorpus.Readable, manifest.Where(e => e.IsDocumentEnd).Select(e => e.Path));
        Assert.Equal(chunks.Select(c => DocumentPreparer.ChunkId(c.Path, c.Chunk)), chunks.Select(c => c.CustomId));
        Assert.Contains("notes/intro.md#0003", chunks.Select(c => c.CustomId));
        Assert.DoesNotContain(manifest, e => e.Path.Contains("hidden", StringComparison.Ordinal));

        // Each document's chunks give back its text, and the template saw the chunk's place and page.
        foreach (var doc in TestCorpus.Readable)
        {
            var text = await DocumentReader.ReadTextAsync(Path.Combine(Corpus, doc), TestContext.Current.CancellationToken);
            var own = chunks.Where(c => c.Path == doc).ToList();
            Assert.Equal(text, string.Concat(own.Select(c => c.Text![c.Overlap..])));
            Assert.Equal(own.Count, manifest.Single(e => e.IsDocumentEnd && e.Path == doc).Chunks);
        }

        var lines = await File.ReadAllLinesAsync(report.RequestsPath, TestContext.Current.CancellationToken);
        var pdf = lines.Select(l => JsonDocument.Parse(l).RootElement).First(l => l.GetProperty("custom_id").GetString() == "report.pdf#0001");
        var prompt = pdf.GetProperty("body").GetProperty("messages")[0].GetProperty("content").GetString()!;
        var pdfChunks = chunks.Count(c => c.Path == "report.pdf");
        Assert.StartsWith($"Part 2 of {pdfChunks} of report.pdf (page {chunks.Single(c => c.CustomId == "report.pdf#0001").Page}): ", prompt);
    }

    [Fact]
    public async Task PrepareAsync_DocumentEditedSinceLastRun_ItsStaleResultsDroppedOthersKept()
    {
        var output = Path.Combine(_dir, "results.jsonl");
        var first = await Prepare(Options(output: output));
        var ids = (await Manifest()).Where(e => e.IsChunk).Select(e => e.CustomId!).ToList();
        await File.WriteAllLinesAsync(output, ids.Select(id => $$$"""{"id":"x","custom_id":"{{{id}}}","response":{"status_code":200,"request_id":null,"body":{}},"error":null}"""), TestContext.Current.CancellationToken);

        // One document changes at its end, one is removed: their changed or gone chunks must be asked again.
        await File.AppendAllTextAsync(Path.Combine(Corpus, "notes/plain.txt"), "\n\nA new closing paragraph with words enough to change the last chunk.\n", TestContext.Current.CancellationToken);
        File.Delete(Path.Combine(Corpus, "legacy.txt"));
        var second = await Prepare(Options(output: output));

        var kept = (await File.ReadAllLinesAsync(output, TestContext.Current.CancellationToken)).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()!).ToList();
        Assert.True(second.StaleResultsRemoved > 0);
        Assert.Equal(ids.Count - second.StaleResultsRemoved, kept.Count);
        Assert.DoesNotContain(kept, id => id.StartsWith("legacy.txt#", StringComparison.Ordinal));
        Assert.Contains(kept, id => id.StartsWith("notes/plain.txt#", StringComparison.Ordinal));
        Assert.All(kept.Where(id => !id.StartsWith("notes/plain.txt", StringComparison.Ordinal)), id => Assert.Contains(id, ids));
        Assert.Equal(first.Documents - 1, second.Documents);
    }

    [Fact]
    public async Task PrepareAsync_UnknownPlaceholder_ListedWithTheAllowedOnes()
    {
        var ex = await Assert.ThrowsAsync<BatchOptionsException>(() => Prepare(Options("{title}: {text}")));

        Assert.Contains("{title}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("{chunks}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_Glob_OnlyMatchingFilesWithPathsFromTheGlobBase()
    {
        var report = await DocumentPreparer.PrepareAsync(Path.Combine(Corpus, "**", "*.md"), Path.Combine(_dir, "requests.jsonl"), Path.Combine(_dir, "manifest.jsonl"), Options(), TestContext.Current.CancellationToken);

        Assert.Equal(1, report.Documents);
        Assert.All((await Manifest()).Where(e => e.IsChunk), e => Assert.Equal("notes/intro.md", e.Path));
    }
}
