using LlmBatch.Files;
using LlmBatch.Output;
using LlmBatch.Providers;
using LlmBatch.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.Output;

/// <summary>
/// Real files, links and permissions: one writer per output file whatever its name, an output that is the input under
/// another name refused, rewrites that keep permissions and never follow a planted link.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FileSafetyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> OtherNames => new() { "symlink", "hardlink", "directory symlink", "dot-dot" };

    // Another path to the same file, made the way the theory names.
    private static string OtherName(TempDir dir, string output, string how)
    {
        switch (how)
        {
            case "symlink":
                return File.CreateSymbolicLink(dir.File("link.jsonl"), output).FullName;
            case "hardlink":
                File.WriteAllText(output, "");
                var link = dir.File("hard.jsonl");
                HardLink(output, link);
                return link;
            case "directory symlink":
                var aliasDir = Directory.CreateSymbolicLink(dir.File("alias"), dir.Path).FullName;
                return Path.Combine(aliasDir, Path.GetFileName(output));
            default:
                Directory.CreateDirectory(dir.File("sub"));
                return Path.Combine(dir.Path, "sub", "..", Path.GetFileName(output));
        }
    }

    private static void HardLink(string existing, string link)
    {
        using var process = System.Diagnostics.Process.Start("ln", [existing, link]);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }

    [Theory]
    [MemberData(nameof(OtherNames))]
    public async Task Open_SameFileUnderAnotherName_SecondWriterRefused(string how)
    {
        using var dir = new TempDir();
        var output = dir.File("out.jsonl");
        var other = OtherName(dir, output, how);
        await using var first = BatchOutputWriter.Open(output, new FakeTimeProvider());

        var ex = Assert.Throws<IOException>(() => BatchOutputWriter.Open(other, new FakeTimeProvider()));
        await Assert.ThrowsAsync<IOException>(() => OutputCheckpoint.OpenAsync(other, retryFailed: false, Ct));

        Assert.Contains("another llmbatch run", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_AfterTheFirstWriterCloses_SecondWriterTakesOver()
    {
        using var dir = new TempDir();
        var output = dir.File("out.jsonl");
        var link = OtherName(dir, output, "symlink");
        await using (BatchOutputWriter.Open(link, new FakeTimeProvider()))
        {
        }

        await using var second = BatchOutputWriter.Open(output, new FakeTimeProvider());
        Assert.False(File.Exists(link + ".lock"));
    }

    [Fact]
    public async Task Open_ReaderDuringARun_NotDisturbed()
    {
        using var dir = new TempDir();
        var output = dir.File("out.jsonl");
        await using var writer = BatchOutputWriter.Open(output, new FakeTimeProvider());
        await writer.WriteAsync(ResultFactory.Success("a"), Ct);
        await writer.WaitForLinesAsync(1, Ct);

        var read = new List<BatchResult>();
        await foreach (var r in BatchOutputFile.ReadAsync(output, Ct))
        {
            read.Add(r);
        }

        Assert.Single(read);
    }

    [Theory]
    [MemberData(nameof(OtherNames))]
    public async Task RunAsync_OutputIsTheInputUnderAnotherName_RefusedAndInputUntouched(string how)
    {
        using var dir = new TempDir();
        var input = dir.File("in.jsonl");
        var other = OtherName(dir, input, how);
        await File.WriteAllTextAsync(input, TempFile.Chat("a") + "\n", Ct);
        var before = await File.ReadAllBytesAsync(input, Ct);
        var engine = new BatchEngineBuilder(BatchProviders.Http(new Uri("http://127.0.0.1:9/v1"), null)).Build();

        var ex = await Assert.ThrowsAsync<BatchOptionsException>(() => BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = input, OutputPath = other }, Ct));

        Assert.Contains("input", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(input, Ct));
    }

    [Fact]
    public async Task RunAsync_OutputIsTheInputInAnotherCase_Refused()
    {
        // On a case-insensitive file system (macOS, Windows) IN.jsonl opens in.jsonl. This Linux disk is case-
        // sensitive, so a link named in the other case stands in for the file system resolving the name.
        using var dir = new TempDir();
        var input = dir.File("in.jsonl");
        await File.WriteAllTextAsync(input, TempFile.Chat("a") + "\n", Ct);
        File.CreateSymbolicLink(dir.File("IN.jsonl"), input);
        var engine = new BatchEngineBuilder(BatchProviders.Http(new Uri("http://127.0.0.1:9/v1"), null)).Build();

        await Assert.ThrowsAsync<BatchOptionsException>(() => BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = input, OutputPath = dir.File("IN.jsonl") }, Ct));
    }

    [Fact]
    public void SameFile_DifferentFiles_False()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.jsonl"), "a");
        File.WriteAllText(dir.File("b.jsonl"), "a");

        Assert.False(FileIdentity.SameFile(dir.File("a.jsonl"), dir.File("b.jsonl")));
        Assert.False(FileIdentity.SameFile(dir.File("a.jsonl"), dir.File("missing.jsonl")));
        Assert.True(FileIdentity.SameFile(dir.File("missing.jsonl"), Path.Combine(dir.Path, ".", "missing.jsonl")));
    }

    [Fact]
    public async Task RunAsync_RewriteOfAPrivateOutput_KeepsItsPermissions()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        // A duplicate line makes the checkpoint rewrite the file.
        await File.WriteAllTextAsync(path, ResultFactory.Lines(ResultFactory.Success("a"), ResultFactory.Success("a"), ResultFactory.Success("b")), Ct);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var checkpoint = await OutputCheckpoint.OpenAsync(path, retryFailed: false, Ct);

        Assert.Equal(1, checkpoint.RemovedDuplicates);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task RunAsync_RewriteThroughALink_RewritesTheTargetAndKeepsTheLink()
    {
        using var dir = new TempDir();
        var target = dir.File("real.jsonl");
        await File.WriteAllTextAsync(target, ResultFactory.Lines(ResultFactory.Success("a"), ResultFactory.Success("a")), Ct);
        var link = File.CreateSymbolicLink(dir.File("link.jsonl"), target).FullName;

        await OutputCheckpoint.OpenAsync(link, retryFailed: false, Ct);

        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Single(await File.ReadAllLinesAsync(target, Ct));
    }

    [Fact]
    public async Task CreateAsync_PlantedLinkAtTheTarget_ReplacedNeverWrittenThrough()
    {
        using var dir = new TempDir();
        var victim = dir.File("victim.txt");
        await File.WriteAllTextAsync(victim, "precious", Ct);
        var target = dir.File("summary.json");
        File.CreateSymbolicLink(target, victim);

        await AtomicRewrite.CreateAsync(target, async (s, ct) => await s.WriteAsync("{}"u8.ToArray(), ct), Ct);

        Assert.Equal("precious", await File.ReadAllTextAsync(victim, Ct));
        Assert.Null(new FileInfo(target).LinkTarget);
        Assert.Equal("{}", await File.ReadAllTextAsync(target, Ct));
        Assert.Equal(["summary.json", "victim.txt"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("/dev/full")]
    [InlineData("/dev/zero")]
    [InlineData("link to /dev/null")]
    public async Task RunAsync_OutputIsADevice_RefusedBeforeAnythingIsSent(string output)
    {
        using var dir = new TempDir();
        var input = dir.File("in.jsonl");
        await File.WriteAllTextAsync(input, TempFile.Chat("a") + "\n", Ct);
        if (output.StartsWith("link", StringComparison.Ordinal))
        {
            output = File.CreateSymbolicLink(dir.File("out.jsonl"), "/dev/null").FullName;
        }

        var provider = new ScriptedHandler(ScriptedHandler.Status(200));
        var engine = new BatchEngineBuilder(provider).Build();

        var ex = await Assert.ThrowsAsync<IOException>(() => BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = input, OutputPath = output }, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct));

        Assert.Contains("not a regular file", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, provider.Calls);
    }
}
