namespace LlmBatch.Cli.Tests.Commands;

/// <summary>The README's first command, offline: the sample reviews through the engine on the embedded model.</summary>
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
            string[] args = ["classify", RepoFile("samples/reviews.csv"), "--column", "text", "--labels-file", RepoFile("samples/review-labels.txt"), "--gold-column", "label", "-o", dir];

            var rc = await CliApp.RunAsync(args);

            Assert.Equal(CliApp.ExitSuccess, rc);
            var classes = File.ReadAllLines(Path.Combine(dir, "reviews.embedding.classes.csv"));
            Assert.Equal(301, classes.Length);
            Assert.True(File.Exists(Path.Combine(dir, "reviews.embedding.npy")));
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
}
