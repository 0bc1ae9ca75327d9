using System.Text.Json;
using LlmBatch.Documents.Tests;
using LlmBatch.Simulator;

namespace LlmBatch.Cli.Tests.Commands;

/// <summary>
/// Documents through the real CLI process against the simulator on loopback: a folder of mixed documents in, one
/// answer per document out, with a kill -9 in the middle of the reduce and a rerun.
/// </summary>
public sealed class DocumentRunIntegrationTests : TempDirTest
{
    private static List<JsonElement> Lines(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    private static List<string> Ids(string path) => Lines(path).Select(l => l.GetProperty("custom_id").GetString()!).ToList();

    [Fact]
    public async Task Run_FolderMapReduceKilledDuringReduceThenRerun_OneFinalLinePerDocumentNothingLostOrDuplicated()
    {
        var corpus = Path.Combine(Dir, "corpus");
        TestCorpus.Write(corpus);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = TimeSpan.FromMilliseconds(15), PerToken = TimeSpan.FromMilliseconds(0.2), Seed = 5 }, TestContext.Current.CancellationToken);
        var output = Path.Combine(Dir, "out", "summaries.jsonl");
        string[] args =
        [
            "run", corpus, "-o", output, "-m", "gpt-4o-mini", "--base-url", sim.BaseUrl.ToString(),
            "--chunk-tokens", "60", "--reduce-tokens", "150", "--max-tokens", "40", "--max-concurrency", "1",
            "--template", "Summarise part {chunk} of {chunks} of {path}: {text}",
            "--reduce", "Combine these partial summaries of {path} into one: {text}",
            "--progress", "none",
        ];

        using (var first = CliProcess.Start(args))
        {
            // Kill -9 as soon as a reduce level has results on disk: the map is done, the reduce is not.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && !first.HasExited && !ReduceStarted(output))
            {
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }

            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        Assert.True(ReduceStarted(output), "the first run was killed during the reduce");
        Assert.False(File.Exists(output), "the first run had not finished");

        var (code, stdout, stderr) = await CliProcess.RunAsync(args, TestContext.Current.CancellationToken);
        Assert.True(code == 0, $"exit {code}: {stderr}");

        // One final line per readable document, custom_id = its path, in input order, every one an answer.
        var final = Lines(output);
        Assert.Equal(TestCorpus.Readable, final.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.All(final, l => Assert.Equal(200, l.GetProperty("response").GetProperty("status_code").GetInt32()));
        Assert.Contains(final, l => l.GetProperty("llmbatch").GetProperty("document").GetProperty("reduce_levels").GetInt32() >= 2);

        // Every phase: exactly one result per request, none lost, none twice.
        var stem = Path.Combine(Dir, "out", "summaries");
        Assert.Equal(Ids(stem + ".requests.jsonl").Order(), Ids(stem + ".map.jsonl").Order());
        for (var level = 1; File.Exists($"{stem}.reduce-{level}.jsonl"); level++)
        {
            Assert.Equal(Ids($"{stem}.reduce-{level}.requests.jsonl").Order(), Ids($"{stem}.reduce-{level}.jsonl").Order());
        }

        // Only what was in flight at the kill (one request at --max-concurrency 1) can have been answered twice.
        Assert.InRange(sim.GetStats().DuplicateSuccesses, 0, 1);

        // The unreadable files are named with their reasons in the summary and the report.
        foreach (var (path, reason) in TestCorpus.Unreadable)
        {
            Assert.Contains(path, stdout, StringComparison.Ordinal);
            Assert.Contains(reason, stdout, StringComparison.Ordinal);
        }

        var html = await File.ReadAllTextAsync(Path.Combine(Dir, "out", "report.html"), TestContext.Current.CancellationToken);
        Assert.Contains("secret.pdf", html, StringComparison.Ordinal);
        Assert.Contains("encrypted PDF", html, StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(Dir, "out", "summary.json"), TestContext.Current.CancellationToken));
        Assert.Equal(TestCorpus.Unreadable.Length, summary.RootElement.GetProperty("inputs").GetProperty("skipped").GetInt64());
    }

    [Fact]
    public async Task RunThenMerge_FolderToEmbeddingsOffline_ParquetOfChunksAndNpyStay()
    {
        var corpus = WriteFolder("corpus", ("a.md", "# Title\n\nThe river runs to the sea. The sea is wide.\n\n## Part\n\nA lantern in the window.\n"), ("b.txt", "Granite and silver.\n\nA harvest in the valley.\n"), ("c.bin", "\0\u0001\u0002\0\0"));
        var output = Path.Combine(Dir, "out", "chunks.jsonl");

        var run = await CliProcess.RunAsync(["run", corpus, "-o", output, "--url", "/v1/embeddings", "--chunk-tokens", "8", "--progress", "none"], TestContext.Current.CancellationToken);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var merge = await CliProcess.RunAsync(["merge", output, "--parquet", "--document-vectors"], TestContext.Current.CancellationToken);
        Assert.True(merge.ExitCode == 0, merge.Stderr);

        var ids = Ids(output);
        Assert.Contains("a.md#0000", ids);
        Assert.Contains("b.txt#0001", ids);
        Assert.DoesNotContain(ids, id => id.StartsWith("c.bin", StringComparison.Ordinal));
        Assert.Contains("c.bin: binary", run.Stdout, StringComparison.Ordinal);
        var stem = Path.Combine(Dir, "out", "chunks");
        Assert.Equal(ids.Count, File.ReadAllLines(stem + ".ids.txt").Length);
        Assert.True(new FileInfo(stem + ".npy").Length > ids.Count * 384 * 4);

        await using var chunks = await Parquet.ParquetReader.CreateAsync(stem + ".parquet", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(
            ["path", "chunk", "custom_id", "start", "end", "overlap", "page", "page_end", "tokens", "text", "vector"],
            chunks.Schema.Fields.Select(f => f.Name));
        var rows = (await Parquet.Serialization.ParquetSerializer.DeserializeAsync<LlmBatch.Cli.Output.ParquetChunkRow>(stem + ".parquet", cancellationToken: TestContext.Current.CancellationToken)).Data;
        Assert.Equal(ids.Order(), rows.Select(r => r.CustomId).Order());
        Assert.All(rows, r => Assert.Equal(384, r.Vector.Length));
        var a = rows.Where(r => r.Path == "a.md").OrderBy(r => r.Chunk).ToList();
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(corpus, "a.md"), TestContext.Current.CancellationToken), string.Concat(a.Select(r => r.Text[r.Overlap..])));
        var documents = (await Parquet.Serialization.ParquetSerializer.DeserializeAsync<LlmBatch.Cli.Output.ParquetDocumentRow>(stem + ".documents.parquet", cancellationToken: TestContext.Current.CancellationToken)).Data;
        Assert.Equal(["a.md", "b.txt"], documents.Select(d => d.Path));
        Assert.Equal(1.0, Math.Sqrt(documents[0].Vector.Sum(x => (double)x * x)), 3);
    }

    [Fact]
    public async Task Classify_FolderOffline_OneLabelPerDocument()
    {
        var corpus = WriteFolder(
            "news",
            ("sport.txt", "The football match ended with a late goal. The team celebrated the win in the stadium."),
            ("money.md", "# Markets\n\nStocks fell as interest rates rose. Investors sold bonds and the bank raised its forecast.\n"),
            ("food.html", "<html><body><h1>Recipe</h1><p>Bake the bread for forty minutes, then add butter and garlic.</p></body></html>"));

        var (code, _, stderr) = await CliProcess.RunAsync(["classify", corpus, "--labels", "sport,finance,cooking", "-o", Path.Combine(Dir, "out"), "--chunk-tokens", "12"], TestContext.Current.CancellationToken);

        Assert.True(code == 0, stderr);
        var classes = File.ReadAllLines(Path.Combine(Dir, "out", "news.embedding.classes.csv")).Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0], f => f[1]);
        Assert.Equal(new Dictionary<string, string> { ["food.html"] = "cooking", ["money.md"] = "finance", ["sport.txt"] = "sport" }, classes);
    }

    [Fact]
    public async Task Prepare_Folder_RequestsAndManifestBesideThem()
    {
        var corpus = Path.Combine(Dir, "corpus");
        TestCorpus.Write(corpus);
        var requests = Path.Combine(Dir, "requests.jsonl");

        var (code, stdout, stderr) = await CliProcess.RunAsync(["prepare", corpus, "-o", requests, "-m", "gpt-4o-mini", "--chunk-tokens", "100", "--template", "{path} part {chunk}/{chunks}: {text}"], TestContext.Current.CancellationToken);

        Assert.True(code == 0, stderr);
        Assert.Contains($"{TestCorpus.Readable.Length} document(s)", stdout, StringComparison.Ordinal);
        var ids = Ids(requests);
        Assert.Contains("report.pdf#0000", ids);
        Assert.Equal(ids.Count, Lines(Documents.DocumentManifest.PathFor(requests)).Count(l => l.TryGetProperty("custom_id", out _)));
    }

    private string WriteFolder(string name, params (string File, string Text)[] files)
    {
        var folder = Path.Combine(Dir, name);
        Directory.CreateDirectory(folder);
        foreach (var (file, text) in files)
        {
            File.WriteAllText(Path.Combine(folder, file), text);
        }

        return folder;
    }

    private static bool ReduceStarted(string output)
    {
        var path = Documents.DocumentMapReduce.LevelPath(output, 1, ".jsonl");
        try
        {
            return File.Exists(path) && File.ReadAllText(path).Contains('\n', StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
