using System.Text;
using LlmBatch.Input;
using LlmBatch.Tests.TestSupport;

namespace LlmBatch.Tests.Input;

public class BatchInputFileReadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<BatchRequest>> ReadAllAsync(IAsyncEnumerable<BatchRequest> requests)
    {
        var list = new List<BatchRequest>();
        await foreach (var r in requests)
        {
            list.Add(r);
        }

        return list;
    }

    [Fact]
    public async Task ReadAsync_ValidFile_YieldsRequestsInOrderWithLineNumbers()
    {
        using var file = TempFile.WithText("\uFEFF" + TempFile.Chat("a", extra: ",\"max_tokens\":7") + "\r\n\r\n" + TempFile.Embedding("b") + "\n");

        var requests = await ReadAllAsync(BatchInputFile.ReadAsync(file.Path, Ct));

        Assert.Equal(["a", "b"], requests.Select(r => r.CustomId));
        Assert.Equal([1L, 3L], requests.Select(r => r.LineNumber));
        Assert.Equal(BatchEndpointKind.ChatCompletions, requests[0].Endpoint);
        Assert.Equal(7, requests[0].MaxOutputTokens);
        Assert.Equal("gpt-4o-mini", requests[0].Model);
        Assert.Equal(BatchEndpointKind.Embeddings, requests[1].Endpoint);
    }

    [Fact]
    public async Task ReadAsync_BodiesStayIntactAfterLaterLinesAreRead()
    {
        // Many lines through a small trickle: a body that still pointed into the reused read buffer would be overwritten.
        var lines = Enumerable.Range(0, 2000).Select(i => TempFile.Chat($"id-{i}", content: $"message number {i} " + new string((char)('a' + (i % 26)), i % 97))).ToArray();
        var bytes = Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
        using var stream = new TrickleStream(bytes, 4099);

        var requests = await ReadAllAsync(BatchInputFile.ReadAsync(stream, "-", Ct));

        Assert.Equal(lines.Length, requests.Count);
        for (var i = 0; i < lines.Length; i++)
        {
            var expectedBody = lines[i][(lines[i].IndexOf("\"body\":", StringComparison.Ordinal) + 7)..^1];
            Assert.Equal(expectedBody, Encoding.UTF8.GetString(requests[i].Body.Span));
        }
    }

    [Fact]
    public async Task ReadAsync_BodyIsExactSizeArray()
    {
        using var file = TempFile.WithLines(TempFile.Chat("a"));

        var request = Assert.Single(await ReadAllAsync(BatchInputFile.ReadAsync(file.Path, Ct)));

        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(request.Body, out var segment));
        Assert.Equal(0, segment.Offset);
        Assert.Equal(segment.Array!.Length, request.Body.Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task ReadAsync_TinyReads_SplitsBomCrlfAndLinesCorrectly(int perRead)
    {
        var text = "\uFEFF" + TempFile.Chat("a") + "\r\n  \r\n" + TempFile.Chat("b") + "\r\n" + TempFile.Chat("c");
        using var stream = new TrickleStream(Encoding.UTF8.GetBytes(text), perRead);

        var requests = await ReadAllAsync(BatchInputFile.ReadAsync(stream, "-", Ct));

        Assert.Equal(["a", "b", "c"], requests.Select(r => r.CustomId));
        Assert.Equal([1L, 3L, 4L], requests.Select(r => r.LineNumber));
    }

    [Fact]
    public async Task ReadAsync_InvalidLine_ThrowsBeforeYieldingAnything()
    {
        using var file = TempFile.WithLines(
            TempFile.Chat("a"),
            TempFile.Chat("b"),
            """{"custom_id":"c","method":"POST","url":"/v1/chat/completions","body":{"messages":[]}}""",
            TempFile.Chat("a"));
        var yielded = 0;

        var ex = await Assert.ThrowsAsync<BatchInputException>(async () =>
        {
            await foreach (var unused in BatchInputFile.ReadAsync(file.Path, Ct))
            {
                yielded++;
            }
        });

        Assert.Equal(0, yielded);
        Assert.Equal(2, ex.TotalErrors);
        Assert.Equal((3L, "body.model"), (ex.Errors[0].Line, ex.Errors[0].Field));
        Assert.Equal((4L, "custom_id"), (ex.Errors[1].Line, ex.Errors[1].Field));
        Assert.Contains($"{file.Path}:4: custom_id: \"a\" is already used on line 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_MissingFile_ThrowsInputErrorNamingFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"llmbatch-missing-{Guid.NewGuid():N}.jsonl");

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAllAsync(BatchInputFile.ReadAsync(path, Ct)));

        Assert.Equal(path, Assert.Single(ex.Errors).Path);
        Assert.Contains("no such file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_EmptyFile_ThrowsNoRequests()
    {
        using var file = TempFile.WithText("\n\n");

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAllAsync(BatchInputFile.ReadAsync(file.Path, Ct)));

        Assert.Contains("holds no requests", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_NonSeekableStreamWithDuplicate_YieldsUntilTheDuplicateThenThrows()
    {
        var bytes = Encoding.UTF8.GetBytes(TempFile.Chat("a") + "\n" + TempFile.Chat("b") + "\n" + TempFile.Chat("a") + "\n");
        using var stream = new TrickleStream(bytes, 1 << 20);
        var seen = new List<string>();

        var ex = await Assert.ThrowsAsync<BatchInputException>(async () =>
        {
            await foreach (var r in BatchInputFile.ReadAsync(stream, "-", Ct))
            {
                seen.Add(r.CustomId);
            }
        });

        Assert.Equal(["a", "b"], seen);
        var error = Assert.Single(ex.Errors);
        Assert.Equal(("-", 3L, "custom_id"), (error.Path, error.Line, error.Field));
    }

    [Fact]
    public async Task ReadAsync_SeekableStream_ChecksWholeStreamFirst()
    {
        var bytes = Encoding.UTF8.GetBytes(TempFile.Chat("a") + "\n" + "not json\n");
        using var stream = new MemoryStream(bytes);
        var yielded = 0;

        var ex = await Assert.ThrowsAsync<BatchInputException>(async () =>
        {
            await foreach (var unused in BatchInputFile.ReadAsync(stream, "mem", Ct))
            {
                yielded++;
            }
        });

        Assert.Equal(0, yielded);
        Assert.Equal(2, Assert.Single(ex.Errors).Line);
    }

    [Fact]
    public async Task ReadAsync_OptionsLineCap_AppliesToRun()
    {
        using var file = TempFile.WithLines(TempFile.Chat("a", content: new string('z', 3000)));

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAllAsync(BatchInputFile.ReadAsync(file.Path, new BatchValidationOptions { MaxLineBytes = 2048 }, Ct)));

        Assert.Contains("more than the limit of 2,048 bytes", Assert.Single(ex.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadValidatedAsync_BadLine_StopsAtFirstError()
    {
        using var file = TempFile.WithLines(TempFile.Chat("a"), "{\"custom_id\":", TempFile.Chat("c"), "also bad");
        var seen = new List<string>();

        var ex = await Assert.ThrowsAsync<BatchInputException>(async () =>
        {
            await foreach (var r in BatchInputFile.ReadValidatedAsync(file.Path, cancellationToken: Ct))
            {
                seen.Add(r.CustomId);
            }
        });

        Assert.Equal(["a"], seen);
        Assert.Equal(2, Assert.Single(ex.Errors).Line);
    }
}
