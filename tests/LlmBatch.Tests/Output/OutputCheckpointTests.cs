using System.Text;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch.Tests.Output;

public class OutputCheckpointTests
{
    private static async Task<List<BatchResult>> ReadAll(string path)
    {
        var list = new List<BatchResult>();
        await foreach (var r in BatchOutputFile.ReadAsync(path, TestContext.Current.CancellationToken))
        {
            list.Add(r);
        }

        return list;
    }

    [Fact]
    public async Task OpenAsync_NoFile_IsEmpty()
    {
        using var dir = new TempDir();

        var cp = await OutputCheckpoint.OpenAsync(dir.File("missing.jsonl"), retryFailed: true, TestContext.Current.CancellationToken);

        Assert.Equal(0, cp.Done);
        Assert.False(cp.IsDone("a"));
        Assert.False(File.Exists(dir.File("missing.jsonl")));
    }

    [Fact]
    public async Task OpenAsync_CleanFile_CountsAndMarksDone()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var content = ResultFactory.Lines(ResultFactory.Success("a"), ResultFactory.Failure("b"), ResultFactory.Success("c"));
        await File.WriteAllTextAsync(path, content, TestContext.Current.CancellationToken);

        var cp = await OutputCheckpoint.OpenAsync(path, retryFailed: false, TestContext.Current.CancellationToken);

        Assert.Equal(2, cp.Succeeded);
        Assert.Equal(1, cp.Failed);
        Assert.True(cp.IsDone("a"));
        Assert.True(cp.IsDone("b"));
        Assert.False(cp.IsDone("d"));
        Assert.Equal(0, cp.RepairedBytes);
        Assert.Equal(0, cp.RemovedDuplicates);
        Assert.Equal(content, await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
    }

    public static TheoryData<string> TornTails => new()
    {
        "{\"id\":\"batch_req_0\",\"custom_id\":\"torn\",\"response\":{\"status_code\":200,\"bo",
        "{",
        "\0\0\0\0\0\0\0\0",
        "{\"custom_id\":\"x\",\"response\":{\"status_code\":200,\"body\":{}}}trailing",
    };

    // Complete lines (they end with \n): a crash cannot leave one, so cutting it could only lose a result.
    public static TheoryData<string> CompleteInvalidTails => new()
    {
        "{\"custom_id\":\"x\"\n",
        "{\"custom_id\":\"x\",\"response\":{\"status_code\":200,\"body\":{}}}trailing\n",
        "{\"custom_id\":\"x\",\"response\":{\"status_code\":200,\"body\":{}}}trailing\r\n",
        "not json at all\n\n\n",
    };

    [Theory]
    [MemberData(nameof(CompleteInvalidTails))]
    public async Task OpenAsync_CompleteButInvalidLastLine_ReportedWithLineNotCut(string tail)
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var content = ResultFactory.Lines(ResultFactory.Success("a"), ResultFactory.Success("b")) + tail;
        await File.WriteAllTextAsync(path, content, TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => OutputCheckpoint.OpenAsync(path, retryFailed: false, TestContext.Current.CancellationToken));

        Assert.Equal(3, Assert.Single(ex.Errors).Line);
        Assert.Equal(content, await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<BatchInputException>(async () => await ReadAll(path));
    }

    [Theory]
    [MemberData(nameof(TornTails))]
    public async Task OpenAsync_TornLastLine_IsCutAndItemNotDone(string tail)
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var good = ResultFactory.Lines(ResultFactory.Success("a"), ResultFactory.Success("b"));
        await File.WriteAllTextAsync(path, good + tail, TestContext.Current.CancellationToken);

        var cp = await OutputCheckpoint.OpenAsync(path, retryFailed: false, TestContext.Current.CancellationToken);

        Assert.Equal(Encoding.UTF8.GetByteCount(tail), cp.RepairedBytes);
        Assert.Equal(good, await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        Assert.Equal(2, cp.Succeeded);
        Assert.False(cp.IsDone("x"));
        Assert.False(cp.IsDone("torn"));
    }

    [Fact]
    public async Task OpenAsync_CompleteLastLineWithoutNewline_AddsNewline()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var content = ResultFactory.Lines(ResultFactory.Success("a"), ResultFactory.Success("b"));
        await File.WriteAllTextAsync(path, content.TrimEnd('\n'), TestContext.Current.CancellationToken);

        var cp = await OutputCheckpoint.OpenAsync(path, retryFailed: false, TestContext.Current.CancellationToken);

        Assert.True(cp.AddedMissingNewline);
        Assert.True(cp.IsDone("b"));
        Assert.Equal(content, await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task OpenAsync_InvalidUtf8InACompleteLine_ThrowsNamingLineAndByte()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var a = Encoding.UTF8.GetBytes(ResultFactory.Line(ResultFactory.Success("a")));
        var b = Encoding.UTF8.GetBytes(ResultFactory.Line(ResultFactory.Success("b")).Replace("\"b\"", "\"b\u00ff\"", StringComparison.Ordinal));
        b[Array.IndexOf(b, (byte)0xC3)] = 0xFF;
        await File.WriteAllBytesAsync(path, [.. a, .. b], TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => OutputCheckpoint.OpenAsync(path, false, TestContext.Current.CancellationToken));

        Assert.Equal(2, ex.Errors[0].Line);
        Assert.Contains("not valid UTF-8 (byte 0xFF", ex.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_TornLastLineEndingMidCharacter_IsCut()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var good = Encoding.UTF8.GetBytes(ResultFactory.Lines(ResultFactory.Success("a")));
        byte[] torn = [.. Encoding.UTF8.GetBytes("{\"custom_id\":\"b\",\"x\":\""), 0xE6, 0x9D];
        await File.WriteAllBytesAsync(path, [.. good, .. torn], TestContext.Current.CancellationToken);

        var cp = await OutputCheckpoint.OpenAsync(path, retryFailed: false, TestContext.Current.CancellationToken);

        Assert.Equal(torn.Length, cp.RepairedBytes);
        Assert.Equal(good, await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task OpenAsync_CorruptMiddleLine_ThrowsNamingLine()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var content = ResultFactory.Line(ResultFactory.Success("a")) + "oops\n" + ResultFactory.Line(ResultFactory.Success("b"));
        await File.WriteAllTextAsync(path, content, TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => OutputCheckpoint.OpenAsync(path, false, TestContext.Current.CancellationToken));

        Assert.Equal(2, ex.Errors[0].Line);
        Assert.Equal(path, ex.Errors[0].Path);
        Assert.Equal(content, await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task OpenAsync_RetryFailed_RemovesFailureLinesAtomically()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        await File.WriteAllTextAsync(
            path,
            ResultFactory.Lines(ResultFactory.Success("a"), ResultFactory.Failure("b"), ResultFactory.Failure("c", 0), ResultFactory.Success("d")),
            TestContext.Current.CancellationToken);

        var cp = await OutputCheckpoint.OpenAsync(path, retryFailed: true, TestContext.Current.CancellationToken);

        Assert.Equal(2, cp.Succeeded);
        Assert.Equal(0, cp.Failed);
        Assert.Equal(2, cp.RemovedFailures);
        Assert.False(cp.IsDone("b"));
        Assert.False(cp.IsDone("c"));
        Assert.True(cp.IsDone("a"));
        Assert.Equal(["a", "d"], (await ReadAll(path)).Select(r => r.CustomId));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task OpenAsync_RetryFailedThenRerun_KeepsOneLinePerId()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var ct = TestContext.Current.CancellationToken;
        await File.WriteAllTextAsync(path, ResultFactory.Lines(ResultFactory.Success("a"), ResultFactory.Failure("b")), ct);

        var cp = await OutputCheckpoint.OpenAsync(path, retryFailed: true, ct);
        await using (var writer = BatchOutputWriter.Open(path))
        {
            foreach (var id in new[] { "a", "b" })
            {
                if (!cp.IsDone(id))
                {
                    await writer.WriteAsync(ResultFactory.Success(id), ct);
                }
            }
        }

        var ids = (await ReadAll(path)).Select(r => r.CustomId).ToList();
        Assert.Equal(["a", "b"], ids);
    }

    [Fact]
    public async Task OpenAsync_Duplicates_KeepsSuccessAndCounts()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        await File.WriteAllTextAsync(
            path,
            ResultFactory.Lines(
                ResultFactory.Failure("a"),
                ResultFactory.Success("a", line: 1),
                ResultFactory.Success("a", line: 2),
                ResultFactory.Failure("b"),
                ResultFactory.Failure("b", 500),
                ResultFactory.Success("c")),
            TestContext.Current.CancellationToken);

        var cp = await OutputCheckpoint.OpenAsync(path, retryFailed: false, TestContext.Current.CancellationToken);

        Assert.Equal(3, cp.RemovedDuplicates);
        Assert.Equal(2, cp.Succeeded);
        Assert.Equal(1, cp.Failed);
        var read = await ReadAll(path);
        Assert.Equal(["a", "b", "c"], read.Select(r => r.CustomId));
        Assert.True(read[0].IsSuccess);
        Assert.Equal(1, read[0].LineNumber);
        Assert.Equal(400, read[1].StatusCode);
    }

    [Fact]
    public async Task OpenAsync_DuplicatesWithRetryFailed_DropsFailuresKeepsOneSuccess()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        await File.WriteAllTextAsync(
            path,
            ResultFactory.Lines(ResultFactory.Failure("a"), ResultFactory.Success("a"), ResultFactory.Success("a"), ResultFactory.Failure("b")),
            TestContext.Current.CancellationToken);

        var cp = await OutputCheckpoint.OpenAsync(path, retryFailed: true, TestContext.Current.CancellationToken);

        Assert.Equal(2, cp.RemovedFailures);
        Assert.Equal(1, cp.RemovedDuplicates);
        Assert.True(cp.IsDone("a"));
        Assert.False(cp.IsDone("b"));
        Assert.Equal(["a"], (await ReadAll(path)).Select(r => r.CustomId));
    }

    [Fact]
    public async Task OpenAsync_KillMidWriteThenRerun_NoIdLostOrDoubled()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var ct = TestContext.Current.CancellationToken;
        var all = Enumerable.Range(0, 20).Select(i => $"item-{i}").ToArray();
        // First run: 12 items finished, the 13th was cut mid-write by a kill -9.
        var torn = ResultFactory.Line(ResultFactory.Success(all[12]));
        await File.WriteAllTextAsync(path, string.Concat(all.Take(12).Select(id => ResultFactory.Line(ResultFactory.Success(id)))) + torn[..(torn.Length / 2)], ct);

        var cp = await OutputCheckpoint.OpenAsync(path, retryFailed: false, ct);
        var resent = 0;
        await using (var writer = BatchOutputWriter.Open(path))
        {
            foreach (var id in all)
            {
                if (!cp.IsDone(id))
                {
                    resent++;
                    await writer.WriteAsync(ResultFactory.Success(id), ct);
                }
            }
        }

        Assert.Equal(8, resent);
        var ids = (await ReadAll(path)).Select(r => r.CustomId).ToList();
        Assert.Equal(all.Order(), ids.Order());
    }
}
