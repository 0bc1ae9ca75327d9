using System.Text.Json;
using LlmBatch.Input;

namespace LlmBatch.Documents.Tests.MapReduce;

public sealed class DocumentMapReduceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("llmbatch-mapreduce-").FullName;
    private readonly DigestHandler _provider = new();

    public DocumentMapReduceTests() => TestCorpus.Write(Path.Combine(_dir, "corpus"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Output => Path.Combine(_dir, "summaries.jsonl");

    private async Task<DocumentMapReduceResult> Run(int reduceTokens)
    {
        var requests = Path.Combine(_dir, "summaries.requests.jsonl");
        var manifest = DocumentManifest.PathFor(Output);
        var conversion = new BatchInputConversionOptions { Model = "gpt-4o-mini", Template = "MAP {chunk} of {path}: {text}", MaxTokens = 20 };
        await DocumentPreparer.PrepareAsync(Path.Combine(_dir, "corpus"), requests, manifest, new DocumentPrepareOptions
        {
            Requests = conversion,
            Chunking = new ChunkingOptions { MaxTokens = 90, Tokenizer = new TiktokenChunkTokenizer("gpt-4o-mini") },
            OutputPath = DocumentMapReduce.MapOutputPath(Output),
        }, TestContext.Current.CancellationToken);
        var options = new DocumentMapReduceOptions
        {
            ManifestPath = manifest,
            MapRequestsPath = requests,
            OutputPath = Output,
            Reduce = new BatchInputConversionOptions { Model = "gpt-4o-mini", Template = "Combine the parts of {path} ({chunks} chunks): {text}", MaxTokens = 20 },
            ReduceTokens = reduceTokens,
            Tokenizer = new TiktokenChunkTokenizer("gpt-4o-mini"),
        };
        var engine = new BatchEngineBuilder(_provider).WithOptions(new BatchOptions { MaxConcurrency = 8 }).Build();
        return await DocumentMapReduce.RunAsync(options, (job, _, ct) => BatchJob.RunAsync(engine, job, ct), TestContext.Current.CancellationToken);
    }

    private List<JsonElement> Lines(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    private static string Content(JsonElement line) =>
        line.GetProperty("response").GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;

    private async Task<Dictionary<string, int>> ChunkCounts()
    {
        var counts = new Dictionary<string, int>();
        await foreach (var e in DocumentManifest.ReadAsync(DocumentManifest.PathFor(Output), includeText: false, TestContext.Current.CancellationToken))
        {
            if (e.IsDocumentEnd)
            {
                counts[e.Path] = e.Chunks;
            }
        }

        return counts;
    }

    [Fact]
    public async Task RunAsync_SmallReduceBudget_OneAnswerPerDocumentWithEveryChunkInOrderThroughATree()
    {
        var result = await Run(reduceTokens: 40);

        var lines = Lines(Output);
        var chunks = await ChunkCounts();
        Assert.Equal(TestCorpus.Readable, lines.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.Equal(TestCorpus.Readable.Length, result.Documents);
        Assert.Equal(0, result.FailedDocuments);
        foreach (var line in lines)
        {
            var path = line.GetProperty("custom_id").GetString()!;
            var expected = string.Join(" ", Enumerable.Range(1, chunks[path]).Select(i => $"P{i}"));
            Assert.Equal(expected, Content(line));
            var facts = line.GetProperty("llmbatch").GetProperty("document");
            Assert.Equal(chunks[path], facts.GetProperty("chunks").GetInt32());
            Assert.Empty(facts.GetProperty("missing").EnumerateArray());
        }

        // The budget forces more than one level for the long documents, and a one-chunk document skips the reduce.
        Assert.True(result.Phases.Count > 2, $"{result.Phases.Count} phases");
        Assert.True(lines.Max(l => l.GetProperty("llmbatch").GetProperty("document").GetProperty("reduce_levels").GetInt32()) >= 2);
        Assert.All(_provider.Calls, c => Assert.Equal(1, c.Value));
        Assert.DoesNotContain(_provider.Calls.Keys, id => id == "legacy.txt" && chunks["legacy.txt"] == 1);
    }

    [Fact]
    public async Task RunAsync_ChunkFailsForGood_NamedInTheFinalLineAndTheReduceSaysWhatItLacked()
    {
        _provider.Failing.Add("notes/intro.md#0002");
        _provider.Failing.UnionWith(Enumerable.Range(0, 20).Select(i => DocumentPreparer.ChunkId("memo.docx", i)));

        var result = await Run(reduceTokens: 2000);

        var lines = Lines(Output).ToDictionary(l => l.GetProperty("custom_id").GetString()!);
        var intro = lines["notes/intro.md"];
        var missing = intro.GetProperty("llmbatch").GetProperty("document").GetProperty("missing").EnumerateArray().Select(m => m.GetString()!).ToList();
        Assert.StartsWith("notes/intro.md#0002: http_400", Assert.Single(missing));
        Assert.DoesNotContain("P3", Content(intro).Split(' '));
        Assert.Contains(_provider.Prompts, p => p.StartsWith("Combine the parts of notes/intro.md", StringComparison.Ordinal) && p.Contains("[chunk 3 of", StringComparison.Ordinal) && p.Contains("missing, its request failed (http_400)", StringComparison.Ordinal));

        var memo = lines["memo.docx"];
        Assert.Equal("document_failed", memo.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("every chunk failed", memo.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, result.FailedDocuments);
        Assert.Equal(1, result.IncompleteDocuments);
    }

    [Fact]
    public async Task RunAsync_RunAgainAfterItFinished_SendsNothingAndWritesTheSameFile()
    {
        await Run(reduceTokens: 40);
        var first = await File.ReadAllTextAsync(Output, TestContext.Current.CancellationToken);
        var calls = _provider.Calls.Values.Sum();

        await Run(reduceTokens: 40);

        Assert.Equal(calls, _provider.Calls.Values.Sum());
        Assert.Equal(first, await File.ReadAllTextAsync(Output, TestContext.Current.CancellationToken));
    }
}
