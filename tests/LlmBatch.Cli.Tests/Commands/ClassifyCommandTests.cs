using System.Text.Json;
using LlmBatch.Results;
using LlmBatch.Simulator;

namespace LlmBatch.Cli.Tests.Commands;

/// <summary>
/// The README's first command, offline: the sample reviews through the engine on the embedded model; and the chat
/// method against the simulator, whose answers are arbitrary words.
/// </summary>
public class ClassifyCommandTests
{
    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(relative);
    }

    [Fact]
    public async Task Classify_SampleOffline_WritesClassesAndResumes()
    {
        var dir = Path.Combine(Path.GetTempPath(), "llmbatch-classify-" + Guid.NewGuid().ToString("N"));
        try
        {
            string[] args = ["classify", RepoFile("samples/reviews.csv"), "--column", "text", "--labels-file", RepoFile("samples/review-labels.txt"), "--gold-column", "label", "--parquet", "-o", dir];

            var rc = await CliApp.RunAsync(args);

            Assert.Equal(CliApp.ExitSuccess, rc);
            var classes = File.ReadAllLines(Path.Combine(dir, "reviews.embedding.classes.csv"));
            Assert.Equal(301, classes.Length);
            Assert.True(File.Exists(Path.Combine(dir, "reviews.embedding.npy")));
            var parquet = (await Parquet.Serialization.ParquetSerializer.DeserializeAsync<LlmBatch.Cli.Output.ParquetEmbeddingRow>(Path.Combine(dir, "reviews.embedding.parquet"), cancellationToken: TestContext.Current.CancellationToken)).Data;
            Assert.Equal(File.ReadAllLines(Path.Combine(dir, "reviews.embedding.ids.txt")), parquet.Select(r => r.CustomId));
            Assert.All(parquet, r => Assert.Equal(384, r.Embedding.Length));
            var results = Path.Combine(dir, "reviews.embedding.results.jsonl");
            Assert.Equal(303, File.ReadAllLines(results).Length);

            // A rerun resumes: nothing is sent again and the output keeps one line per custom_id.
            Assert.Equal(CliApp.ExitSuccess, await CliApp.RunAsync(args));
            Assert.Equal(303, File.ReadAllLines(results).Length);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Classify_NoLabels_UsageError()
        => Assert.Equal(CliApp.ExitUsage, await CliApp.RunAsync(["classify", RepoFile("samples/reviews.csv")]));

    [Fact]
    public async Task Prepare_BadCsv_UsageErrorAndNoOutput()
    {
        var dir = Path.Combine(Path.GetTempPath(), "llmbatch-prepare-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var input = Path.Combine(dir, "in.csv");
            await File.WriteAllTextAsync(input, "id,text\n1,\"never closed\n", TestContext.Current.CancellationToken);
            var output = Path.Combine(dir, "req.jsonl");

            var rc = await CliApp.RunAsync(["prepare", input, "-o", output, "-m", "gpt-4o-mini"]);

            Assert.Equal(CliApp.ExitUsage, rc);
            Assert.False(File.Exists(output));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Classify_ChatOnSimulator_InvalidAnswersReaskedThenCountedAsInvalidLabelNothingMadeUp()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = TimeSpan.FromMilliseconds(5), PerToken = TimeSpan.Zero, Seed = 11 }, ct);
        var dir = Directory.CreateTempSubdirectory("llmbatch-classify-chat-").FullName;
        try
        {
            var input = Path.Combine(dir, "items.txt");
            await File.WriteAllLinesAsync(input, Enumerable.Range(0, 60).Select(i => $"Item {i}: the product arrived on day {i}."), ct);
            var output = Path.Combine(dir, "out");

            // "good" is one of the simulator's words, so some answers name a label and most do not.
            var (rc, stdout, stderr) = await CliProcess.RunAsync(
                ["classify", input, "--labels", "positive,negative,good", "--method", "chat", "-m", "gpt-4o-mini", "--base-url", sim.BaseUrl.ToString(), "-o", output],
                ct);

            Assert.Equal(CliApp.ExitItemsFailed, rc);
            var first = AnswersById(Path.Combine(output, "items.chat.results.jsonl"));
            Assert.Equal(60, first.Count);
            var invalidFirst = first.Where(a => ResultContent.MatchLabel(a.Value, ["positive", "negative", "good"]) is null).Select(a => a.Key).ToHashSet();
            Assert.InRange(invalidFirst.Count, 1, 59);

            // Exactly the invalid answers were asked again, in a file of their own.
            var retry1 = File.ReadAllLines(Path.Combine(output, "items.chat.retry1.requests.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()!).ToHashSet();
            Assert.Equal(invalidFirst, retry1);
            Assert.Contains("asking again (round 1 of 2)", stderr, StringComparison.Ordinal);

            // Each item's latest answer decides: a label it names, or invalid_label; never a label it did not give.
            var latest = new Dictionary<string, string>(first);
            foreach (var round in new[] { 1, 2 })
            {
                var path = Path.Combine(output, $"items.chat.retry{round}.results.jsonl");
                if (File.Exists(path))
                {
                    foreach (var (id, answer) in AnswersById(path))
                    {
                        latest[id] = answer;
                    }
                }
            }

            var classes = File.ReadAllLines(Path.Combine(output, "items.chat.classes.csv")).Skip(1).Select(l => l.Split(',')).ToList();
            Assert.Equal(60, classes.Count);
            var invalid = 0;
            foreach (var row in classes)
            {
                var expected = ResultContent.MatchLabel(latest[row[0]], ["positive", "negative", "good"]);
                Assert.Equal(expected ?? "", row[1]);
                Assert.Equal(expected is null ? "invalid_label" : "", row[6]);
                invalid += expected is null ? 1 : 0;
            }

            Assert.True(invalid > 0);
            Assert.Contains($"60 results: {60 - invalid} succeeded, {invalid} failed", stdout, StringComparison.Ordinal);
            Assert.Contains($"invalid_label: {invalid}", stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Dictionary<string, string> AnswersById(string resultsPath)
    {
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(resultsPath))
        {
            var root = JsonDocument.Parse(line).RootElement;
            var content = root.GetProperty("response").GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
            answers[root.GetProperty("custom_id").GetString()!] = content;
        }

        return answers;
    }
}
