using System.Buffers;
using LlmBatch.Output;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Reporting.Tests;

public sealed class RunReportCollectorTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "llmbatch-collector-" + Guid.NewGuid().ToString("N"));

    public RunReportCollectorTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task WriteAsync_ResumedRunToldItsResults_SameFilesAsReadingTheWholeOutput()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

        // Times and durations finer than the line keeps them (sub-millisecond, hundredths): the collector must see them
        // as the file will give them back.
        var results = SampleRun.Create(900).Select((r, i) => Finer(r, i)).ToList();
        var output = Path.Combine(_dir, "out.jsonl");
        var earlier = results.Take(300).ToList();
        await AppendAsync(output, earlier, ct);
        var from = new FileInfo(output).Length;

        var collector = new RunReportCollector(new RunReportOptions { TimeProvider = clock });
        var thisRun = results.Skip(300).ToList();
        await AppendAsync(output, thisRun, ct);
        thisRun.ForEach(collector.Add);

        var live = await collector.WriteAsync(output, from, Path.Combine(_dir, "live"), ct);
        var reread = await RunReport.WriteAsync(output, Path.Combine(_dir, "reread"), new RunReportOptions { TimeProvider = clock }, ct);

        Assert.Equal(900, live.Summary.Total);
        Assert.Equal(await File.ReadAllTextAsync(reread.SummaryJsonPath, ct), await File.ReadAllTextAsync(live.SummaryJsonPath, ct));
        Assert.Equal(await File.ReadAllTextAsync(reread.HtmlPath, ct), await File.ReadAllTextAsync(live.HtmlPath, ct));
    }

    [Fact]
    public async Task WriteAsync_FreshRun_ReadsNoLineOfTheOutput()
    {
        var ct = TestContext.Current.CancellationToken;
        var output = Path.Combine(_dir, "out.jsonl");

        // Lines the collector was not told of and that start at or after the offset are this run's: never read, even
        // when they would not parse.
        await File.WriteAllTextAsync(output, "not an output line\n", ct);
        var collector = new RunReportCollector();
        SampleRun.Create(10).ForEach(collector.Add);

        var files = await collector.WriteAsync(output, 0, Path.Combine(_dir, "report"), ct);

        Assert.Equal(10, files.Summary.Total);
    }

    [Fact]
    public async Task WriteAsync_ReportWouldReplaceTheOutput_RefusedAndNothingWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        var output = Path.Combine(_dir, RunReport.SummaryFileName);
        await File.WriteAllTextAsync(output, "", ct);

        await Assert.ThrowsAsync<IOException>(() => new RunReportCollector().WriteAsync(output, 0, _dir, ct));
        Assert.Equal("", await File.ReadAllTextAsync(output, ct));
    }

    private static BatchResult Finer(BatchResult r, int i) => new()
    {
        CustomId = r.CustomId,
        Id = r.Id,
        StatusCode = r.StatusCode,
        RequestId = r.RequestId,
        Error = r.Error,
        LineNumber = r.LineNumber,
        Stats = r.Stats with
        {
            LatencyMs = r.Stats.LatencyMs + (i % 7 * 0.013),
            LimiterWaitMs = r.Stats.LimiterWaitMs + 0.049,
            StartedAt = r.Stats.StartedAt.AddTicks(i * 977 % 10_000),
            FinishedAt = r.Stats.FinishedAt.AddTicks(i * 3_331 % 10_000),
        },
    };

    private static async Task AppendAsync(string path, List<BatchResult> results, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var r in results)
        {
            ResultLineWriter.Write(buffer, r);
        }

        await using var file = new FileStream(path, FileMode.Append, FileAccess.Write);
        await file.WriteAsync(buffer.WrittenMemory, ct);
    }
}
