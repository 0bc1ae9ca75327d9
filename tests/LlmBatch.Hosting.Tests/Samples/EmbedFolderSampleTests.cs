using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlmBatch.Hosting.Tests.Samples;

/// <summary>Runs samples/EmbedFolder as the user would, a real process with its own simulator on loopback, several times over one folder.</summary>
public sealed partial class EmbedFolderSampleTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "llmbatch-sample-" + Guid.NewGuid().ToString("N"));

    public EmbedFolderSampleTests() => Directory.CreateDirectory(Path.Combine(_dir, "docs", "notes"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Sample_RunTwiceThenAfterNewDocuments_EachDocumentSentOnceAndTheOutputHoldsEveryOne()
    {
        for (var i = 0; i < 12; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(_dir, "docs", i % 2 == 0 ? "" : "notes", $"doc{i}.{(i % 3 == 0 ? "md" : "txt")}"), $"Document {i}: the quick brown fox, take {i}.", Ct);
        }

        var first = await RunSampleAsync();
        var second = await RunSampleAsync();
        await File.WriteAllTextAsync(Path.Combine(_dir, "docs", "late.txt"), "A document added after the first runs.", Ct);
        var third = await RunSampleAsync();

        Assert.Equal((0, 12, 0L, 384), (first.ExitCode, first.Embedded, first.AlreadyDone, first.Dimensions));
        Assert.InRange(first.RequestsReceived, 1, 12);
        Assert.Equal((0, 0, 12L, 0L), (second.ExitCode, second.Embedded, second.AlreadyDone, second.RequestsReceived));
        Assert.Equal((0, 1, 12L, 1L), (third.ExitCode, third.Embedded, third.AlreadyDone, third.RequestsReceived));
        var ids = (await File.ReadAllLinesAsync(Path.Combine(_dir, "out.jsonl"), Ct))
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString())
            .ToList();
        Assert.Equal(13, ids.Count);
        Assert.Equal(13, ids.Distinct().Count());
        Assert.Contains("notes/doc1.txt", ids);
        Assert.Contains("late.txt", ids);
    }

    private async Task<SampleRun> RunSampleAsync()
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = _dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(SamplePath());
        start.ArgumentList.Add("--EmbedFolder:Folder=docs");
        start.ArgumentList.Add("--LlmBatch:Runner:OutputPath=out.jsonl");
        foreach (var name in new[] { "OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY", "LlmBatch__BaseUrl" })
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout;
        var summary = Summary().Match(output);
        var received = Received().Match(output);
        Assert.True(summary.Success && received.Success, $"unexpected output:\n{output}\n{await stderr}");
        return new SampleRun(
            process.ExitCode,
            int.Parse(summary.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(summary.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(summary.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(received.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    // The sample's build output beside this project's: same configuration and framework folders.
    private static string SamplePath()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "LlmBatch.slnx")))
        {
            root = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(root)) ?? throw new InvalidOperationException("LlmBatch.slnx not found above the test's folder.");
        }

        var output = Path.GetRelativePath(Path.Combine(root, "tests", "LlmBatch.Hosting.Tests"), AppContext.BaseDirectory);
        return Path.Combine(root, "samples", "EmbedFolder", output, "LlmBatch.Samples.EmbedFolder.dll");
    }

    [GeneratedRegex(@"embedded (\d+), failed (\d+), already done (\d+), dimensions (\d+)")]
    private static partial Regex Summary();

    [GeneratedRegex(@"simulator received (\d+) requests")]
    private static partial Regex Received();

    private sealed record SampleRun(int ExitCode, int Embedded, long AlreadyDone, int Dimensions, long RequestsReceived);
}
