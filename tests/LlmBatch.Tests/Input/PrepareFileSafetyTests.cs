using LlmBatch.Input;
using LlmBatch.Results;
using LlmBatch.Tests.Output;

namespace LlmBatch.Tests.Input;

/// <summary>Preparing requests never replaces the input, and never writes through a link planted at a predictable name.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PrepareFileSafetyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConvertFileAsync_OutputIsTheInputThroughALink_RefusedAndInputKept()
    {
        using var dir = new TempDir();
        var input = dir.File("items.txt");
        await File.WriteAllTextAsync(input, "one\ntwo\n", Ct);
        var link = File.CreateSymbolicLink(dir.File("requests.jsonl"), input).FullName;

        await Assert.ThrowsAsync<BatchOptionsException>(() => BatchInputConverter.ConvertFileAsync(input, link, new BatchInputConversionOptions { Model = "m" }, Ct));

        Assert.Equal("one\ntwo\n", await File.ReadAllTextAsync(input, Ct));
    }

    [Fact]
    public async Task ConvertFileAsync_LinkPlantedAtTheOldTempName_NeverFollowed()
    {
        using var dir = new TempDir();
        var input = dir.File("items.csv");
        await File.WriteAllTextAsync(input, "id,text,label\n1,hello,x\n", Ct);
        var victim = dir.File("victim.txt");
        await File.WriteAllTextAsync(victim, "precious", Ct);
        File.CreateSymbolicLink(dir.File("items.requests.jsonl.tmp"), victim);
        File.CreateSymbolicLink(dir.File("items.requests.metadata.jsonl.tmp"), victim);

        var report = await BatchInputConverter.ConvertFileAsync(input, dir.File("items.requests.jsonl"), new BatchInputConversionOptions { Model = "m" }, Ct);

        Assert.Equal("precious", await File.ReadAllTextAsync(victim, Ct));
        Assert.Equal(1, report.Items);
        Assert.NotNull(report.MetadataPath);
        Assert.Single(await File.ReadAllLinesAsync(dir.File("items.requests.jsonl"), Ct));
    }

    [Fact]
    public async Task MergeAsync_LinkPlantedAtTheOutputName_ReplacedNotWrittenThrough()
    {
        using var dir = new TempDir();
        var victim = dir.File("victim.txt");
        await File.WriteAllTextAsync(victim, "precious", Ct);
        File.CreateSymbolicLink(dir.File("m.merged.csv"), victim);
        var results = new[] { ResultFactory.Success("a", """{"choices":[{"message":{"content":"=1+1"}}]}""") };

        await BatchResultsMerger.MergeAsync(results.ToAsyncEnumerable(), new BatchMergeOptions { OutputPrefix = dir.File("m"), TextFormat = TextTableFormat.Csv }, Ct);

        Assert.Equal("precious", await File.ReadAllTextAsync(victim, Ct));
        Assert.Null(new FileInfo(dir.File("m.merged.csv")).LinkTarget);
    }
}
