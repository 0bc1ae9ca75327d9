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

    [Fact]
    public async Task WriteAsync_LinesWithAbsurdTimesAndAttempts_ReportBuiltInBoundedTime()
    {
        // Dated from year 1 to 9999 with a hundred thousand attempts: looping over every second or spreading every
        // attempt over that window would never end.
        var statuses = string.Join(",", Enumerable.Repeat("429", 100_000)) + ",200";
        var lines = new[]
        {
            $$$"""{"custom_id":"a","response":{"status_code":200,"body":{"choices":[]}},"error":null,"llmbatch":{"attempts":100001,"statuses":[{{{statuses}}}],"started_at":"0001-01-02T00:00:00.000Z","finished_at":"9999-12-30T00:00:00.000Z","latency_ms":1e308,"limiter_wait_ms":1e308}}""",
            """{"custom_id":"b","response":{"status_code":200,"body":{"choices":[]}},"error":null,"llmbatch":{"attempts":1,"statuses":[200],"started_at":"2026-01-01T00:00:00.000Z","finished_at":"2026-01-01T00:00:01.000Z","latency_ms":1000}}""",
        };
        var path = Path.Combine(_dir, "results.jsonl");
        await File.WriteAllLinesAsync(path, lines, Ct);

        var files = await RunReport.WriteAsync(path, _dir, cancellationToken: Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(2, files.Summary.Total);
        Assert.True(File.Exists(files.HtmlPath));
    }
}
