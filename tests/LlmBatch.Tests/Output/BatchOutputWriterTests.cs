using LlmBatch.Output;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.Output;

public class BatchOutputWriterTests
{
    private static string[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task WriteAsync_LinesReachFileBeforeDispose()
    {
        using var dir = new TempDir();
        var path = dir.File("sub/dir/out.jsonl");
        var time = new FakeTimeProvider();
        var ct = TestContext.Current.CancellationToken;
        await using var writer = BatchOutputWriter.Open(path, time);

        await writer.WriteAsync(ResultFactory.Success("a"), ct);
        await writer.WriteAsync(ResultFactory.Failure("b"), ct);
        await writer.WriteAsync(ResultFactory.Success("c"), ct);
        await writer.WaitForLinesAsync(3, ct);

        var lines = ReadShared(path);
        Assert.Equal(3, lines.Length);
        Assert.Equal(3, writer.LinesWritten);
        Assert.Contains("\"custom_id\":\"b\"", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fsync_IsBatchedByInterval()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider();
        var ct = TestContext.Current.CancellationToken;
        var writer = BatchOutputWriter.Open(dir.File("out.jsonl"), time, TimeSpan.FromSeconds(1));

        for (var i = 0; i < 50; i++)
        {
            await writer.WriteAsync(ResultFactory.Success($"id-{i}"), ct);
        }

        await writer.WaitForLinesAsync(50, ct);
        Assert.Equal(0, writer.FsyncCount);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, writer.FsyncCount);

        // Nothing new written: no further fsync.
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, writer.FsyncCount);

        await writer.DisposeAsync();
        Assert.Equal(2, writer.FsyncCount);
    }

    [Fact]
    public async Task DisposeAsync_WritesEverythingQueued_AndReleasesLock()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var ct = TestContext.Current.CancellationToken;
        var writer = BatchOutputWriter.Open(path, new FakeTimeProvider(), capacity: 8);
        var producers = Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < 250; i++)
            {
                await writer.WriteAsync(ResultFactory.Success($"p{p}-{i}"), ct);
            }
        }, ct)).ToArray();
        await Task.WhenAll(producers);

        await writer.DisposeAsync();

        var ids = new List<string>();
        await foreach (var r in BatchOutputFile.ReadAsync(path, ct))
        {
            ids.Add(r.CustomId);
        }

        Assert.Equal(1000, ids.Count);
        Assert.Equal(1000, ids.Distinct().Count());
        Assert.False(File.Exists(path + ".lock"));
        await using var again = BatchOutputWriter.Open(path, new FakeTimeProvider());
    }

    [Fact]
    public async Task Open_AppendsToExistingFile()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var ct = TestContext.Current.CancellationToken;
        await File.WriteAllTextAsync(path, ResultFactory.Line(ResultFactory.Success("old")), ct);

        await using (var writer = BatchOutputWriter.Open(path, new FakeTimeProvider()))
        {
            await writer.WriteAsync(ResultFactory.Success("new"), ct);
        }

        Assert.Equal(2, ReadShared(path).Length);
    }

    [Fact]
    public async Task Open_SecondWriter_IsRefusedNamingFile()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        await using var first = BatchOutputWriter.Open(path, new FakeTimeProvider());

        var ex = Assert.Throws<IOException>(() => BatchOutputWriter.Open(path, new FakeTimeProvider()));
        var checkpoint = await Assert.ThrowsAsync<IOException>(() => OutputCheckpoint.OpenAsync(path, retryFailed: false, TestContext.Current.CancellationToken));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("another llmbatch run", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, checkpoint.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_AfterLoopFailure_SurfacesErrorAndDisposeThrows()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        var writer = BatchOutputWriter.Open(dir.File("out.jsonl"), new FakeTimeProvider());
        var broken = new BatchResult { CustomId = "x", Id = "", Stats = new BatchItemStats { Statuses = null! } };

        await writer.WriteAsync(broken, ct);
        await Assert.ThrowsAsync<IOException>(() => writer.WaitForLinesAsync(1, ct));

        await Assert.ThrowsAsync<IOException>(async () => await writer.WriteAsync(ResultFactory.Success("y"), ct));
        await Assert.ThrowsAsync<IOException>(async () => await writer.DisposeAsync());
    }
}
