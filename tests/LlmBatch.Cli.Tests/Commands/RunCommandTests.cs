using System.Text.Json;
using LlmBatch.Cli.Commands;
using LlmBatch.Simulator;

namespace LlmBatch.Cli.Tests.Commands;

/// <summary>run given items instead of request lines: prepared with the shared flags, sent, and merged with --merge.</summary>
public sealed class RunCommandTests : TempDirTest
{
    private string WriteCsv(int count)
    {
        var path = Path.Combine(Dir, "reviews.csv");
        using var w = new StreamWriter(path);
        w.WriteLine("id,text,label");
        for (var i = 0; i < count; i++)
        {
            w.WriteLine($"r{i:D3},\"Review number {i}, fine.\",{(i % 2 == 0 ? "positive" : "negative")}");
        }

        return path;
    }

    [Fact]
    public async Task Run_CsvWithTemplateAndMerge_PreparesSendsAndMergesInInputOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = TimeSpan.FromMilliseconds(5), PerToken = TimeSpan.Zero, Seed = 3 }, ct);
        var input = WriteCsv(40);

        var rc = await CliApp.RunAsync(["run", input, "--column", "text", "--template", "Summarise in one sentence: {text}", "-m", "gpt-4o-mini", "--base-url", sim.BaseUrl.ToString(), "--merge", "--progress", "none", "--no-report"]);

        Assert.Equal(CliApp.ExitSuccess, rc);
        var requests = File.ReadAllLines(Path.Combine(Dir, "reviews.requests.jsonl"));
        Assert.Equal(40, requests.Length);
        using (var first = JsonDocument.Parse(requests[0]))
        {
            Assert.Equal("r000", first.RootElement.GetProperty("custom_id").GetString());
            var body = first.RootElement.GetProperty("body");
            Assert.Equal("gpt-4o-mini", body.GetProperty("model").GetString());
            Assert.Equal("Summarise in one sentence: Review number 0, fine.", body.GetProperty("messages")[0].GetProperty("content").GetString());
        }

        Assert.Equal(40, File.ReadAllLines(Path.Combine(Dir, "reviews.results.jsonl")).Length);
        Assert.Equal(40, sim.GetStats().TotalRequests);
        var merged = File.ReadAllLines(Path.Combine(Dir, "reviews.results.merged.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"r{i:D3}"), merged.Select(m => m.GetProperty("custom_id").GetString()));
        Assert.All(merged, m => Assert.False(string.IsNullOrEmpty(m.GetProperty("content").GetString())));
        // The CSV's other columns come back through the metadata written beside the prepared requests.
        Assert.Equal("negative", merged[1].GetProperty("metadata").GetProperty("label").GetString());
    }

    [Fact]
    public async Task Run_CsvChatWithoutModel_UsageErrorAndNothingSent()
    {
        var input = WriteCsv(3);

        var rc = await CliApp.RunAsync(["run", input, "--base-url", "http://127.0.0.1:9/v1", "--progress", "none", "--no-report"]);

        Assert.Equal(CliApp.ExitUsage, rc);
        Assert.False(File.Exists(Path.Combine(Dir, "reviews.results.jsonl")));
    }

    [Fact]
    public async Task Run_ParquetWithoutMerge_UsageError()
        => Assert.Equal(CliApp.ExitUsage, await CliApp.RunAsync(["run", WriteCsv(1), "--parquet"]));

    [Theory]
    [InlineData("--mode", "later")]
    [InlineData("--deadline", "soon")]
    [InlineData("--fallback", "nowhere")]
    [InlineData("--poll-interval", "0s")]
    [InlineData("--batch-max-requests", "50001")]
    [InlineData("--enqueued-token-limit", "0")]
    public async Task Run_BadBatchModeFlag_UsageError(string flag, string value)
        => Assert.Equal(CliApp.ExitUsage, await CliApp.RunAsync(["run", WriteCsv(1), flag, value]));

    [Fact]
    public async Task Run_BatchModeWithoutAProvider_UsageErrorSayingTheBatchApiNeedsOne()
    {
        var input = Path.Combine(Dir, "requests.jsonl");
        await File.WriteAllTextAsync(input, """{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":"x"}}""" + "\n", TestContext.Current.CancellationToken);

        var (exit, _, stderr) = await CliProcess.RunAsync(["run", input, "--mode", "batch"], TestContext.Current.CancellationToken);

        Assert.Equal(CliApp.ExitUsage, exit);
        Assert.Contains("--mode batch sends through a provider's Batch API, which does not run offline", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(input + ".batches.json"));
    }

    [Fact]
    public async Task Run_BatchModeWithEmbeddedModelRequests_UsageErrorNothingRecorded()
    {
        var input = Path.Combine(Dir, "local.jsonl");
        await File.WriteAllTextAsync(input, """{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"local/all-MiniLM-L6-v2","input":"x"}}""" + "\n", TestContext.Current.CancellationToken);

        var rc = await CliApp.RunAsync(["run", input, "--mode", "batch", "--base-url", "http://127.0.0.1:9/v1", "--progress", "none"]);

        Assert.Equal(CliApp.ExitUsage, rc);
        Assert.False(File.Exists(Path.Combine(Dir, "local.results.jsonl.batches.json")));
    }

    [Theory]
    [InlineData("in.csv", false, true)]
    [InlineData("in.txt", false, true)]
    [InlineData("in.jsonl", false, false)]
    [InlineData("in.jsonl", true, true)]
    public void NeedsPreparing_ByExtensionOrAnyPrepareFlag(string input, bool templateGiven, bool expected)
    {
        var settings = new RunSettings { Input = input, Template = templateGiven ? "{text}" : null };

        Assert.Equal(expected, settings.NeedsPreparing);
    }

    [Theory]
    [InlineData("data/reviews.csv", null, "data/reviews.requests.jsonl")]
    [InlineData("reviews.csv", "out/run1.jsonl", "out/run1.requests.jsonl")]
    public void PreparedRequestsPath_BesideTheOutput(string input, string? output, string expected)
        => Assert.Equal(expected, new RunSettings { Input = input, Output = output }.PreparedRequestsPath);

    [Theory]
    [InlineData("docs/", "docs.results.jsonl")]
    [InlineData("docs", "docs.results.jsonl")]
    [InlineData("docs/**/*.md", "documents.results.jsonl")]
    [InlineData("reviews.csv", "reviews.results.jsonl")]
    public void OutputPath_NoOutputGiven_BesideTheInputNeverInsideAFolderOrAGlob(string input, string expected)
    {
        var settings = new RunSettings { Input = input };

        Assert.Equal(expected, settings.OutputPath);
    }
}
