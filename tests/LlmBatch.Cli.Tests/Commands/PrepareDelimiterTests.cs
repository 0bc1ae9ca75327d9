using System.Text.Json;

namespace LlmBatch.Cli.Tests.Commands;

/// <summary><c>--delimiter</c> on real files: TSV by extension, <c>;</c> given, and errors that name file, line and column.</summary>
public sealed class PrepareDelimiterTests : TempDirTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<(string Id, string Content)>> RequestsAsync(string path)
    {
        var list = new List<(string, string)>();
        foreach (var line in await File.ReadAllLinesAsync(path, Ct))
        {
            using var doc = JsonDocument.Parse(line);
            list.Add((doc.RootElement.GetProperty("custom_id").GetString()!, doc.RootElement.GetProperty("body").GetProperty("messages")[0].GetProperty("content").GetString()!));
        }

        return list;
    }

    [Fact]
    public async Task Prepare_TsvAndSemicolonFiles_SplitOnTheirDelimiter()
    {
        var tsv = Path.Combine(Dir, "items.tsv");
        await File.WriteAllTextAsync(tsv, "id\ttext\nt1\tHello, world\n", Ct);
        var semi = Path.Combine(Dir, "items.csv");
        await File.WriteAllTextAsync(semi, "id;text;price\ns1;Kettle, steel;12,50\n", Ct);

        var tsvCode = await CliApp.RunAsync(["prepare", tsv, "-m", "gpt-4o-mini", "-o", Path.Combine(Dir, "tsv.jsonl")]);
        var semiCode = await CliApp.RunAsync(["prepare", semi, "-m", "gpt-4o-mini", "--delimiter", ";", "--template", "{text} ({price})", "-o", Path.Combine(Dir, "semi.jsonl")]);

        Assert.Equal(CliApp.ExitSuccess, tsvCode);
        Assert.Equal(CliApp.ExitSuccess, semiCode);
        Assert.Equal([("t1", "Hello, world")], await RequestsAsync(Path.Combine(Dir, "tsv.jsonl")));
        Assert.Equal([("s1", "Kettle, steel (12,50)")], await RequestsAsync(Path.Combine(Dir, "semi.jsonl")));
    }

    [Fact]
    public async Task Prepare_BadRowAndBadFlag_ErrorsNameFileLineColumnOrFlag()
    {
        var items = Path.Combine(Dir, "bad.csv");
        await File.WriteAllTextAsync(items, "id|text\n1|fine\n2|said \"hi\"\n", Ct);

        var (code, _, stderr) = await CliProcess.RunAsync(["prepare", items, "-m", "m", "--delimiter", "|", "-o", Path.Combine(Dir, "r.jsonl")], Ct);
        var flag = await CliProcess.RunAsync(["prepare", items, "-m", "m", "--delimiter", "||", "-o", Path.Combine(Dir, "r.jsonl")], Ct);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("bad.csv:3: text: a quote inside an unquoted field", stderr, StringComparison.Ordinal);
        Assert.Equal(CliApp.ExitUsage, flag.ExitCode);
        Assert.Contains("--delimiter", flag.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Dir, "r.jsonl")));
    }
}
