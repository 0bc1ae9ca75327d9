namespace LlmBatch.Reporting.Tests;

/// <summary>The report never replaces the results it is built from, and never writes through a link planted beside them.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RunReportSafetyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("llmbatch-reportsafety-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> Results(string name)
    {
        var path = Path.Combine(_dir, name);
        var lines = Enumerable.Range(0, 20).Select(i => $$$"""{"custom_id":"c{{{i}}}","response":{"status_code":200,"body":{"choices":[]}},"error":null}""");
        await File.WriteAllLinesAsync(path, lines, Ct);
        return path;
    }

    [Theory]
    [InlineData("summary.json")]
    [InlineData("report.html")]
    [InlineData("SUMMARY-LINK")]
    public async Task WriteAsync_OutputNamedLikeAReportFile_RefusedAndResultsKept(string name)
    {
        var results = await Results(name == "SUMMARY-LINK" ? "results.jsonl" : name);
        if (name == "SUMMARY-LINK")
        {
            // summary.json is a link to the results: the same file under the report's name.
            File.CreateSymbolicLink(Path.Combine(_dir, "summary.json"), results);
        }

        var before = await File.ReadAllBytesAsync(results, Ct);

        var ex = await Assert.ThrowsAsync<IOException>(() => RunReport.WriteAsync(results, _dir, cancellationToken: Ct));

        Assert.Contains("would replace", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(results, Ct));
    }

    [Fact]
    public async Task WriteAsync_LinksPlantedAtTheOldTempNames_NeverFollowed()
    {
        var results = await Results("results.jsonl");
        var victim = Path.Combine(_dir, "victim.txt");
        await File.WriteAllTextAsync(victim, "precious", Ct);
        File.CreateSymbolicLink(Path.Combine(_dir, "summary.json.tmp"), victim);
        File.CreateSymbolicLink(Path.Combine(_dir, "report.html.tmp"), victim);

        var files = await RunReport.WriteAsync(results, _dir, cancellationToken: Ct);

        Assert.Equal("precious", await File.ReadAllTextAsync(victim, Ct));
        Assert.StartsWith("{", await File.ReadAllTextAsync(files.SummaryJsonPath, Ct), StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetFiles(_dir), f => Path.GetFileName(f).StartsWith(".summary.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WriteAsync_ReportReplacingAPrivateReport_KeepsItsPermissions()
    {
        var results = await Results("results.jsonl");
        var summary = Path.Combine(_dir, "summary.json");
        await File.WriteAllTextAsync(summary, "{}", Ct);
        File.SetUnixFileMode(summary, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        await RunReport.WriteAsync(results, _dir, cancellationToken: Ct);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(summary));
    }
}
