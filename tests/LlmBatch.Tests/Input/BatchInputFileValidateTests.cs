using System.Text;
using LlmBatch.Input;
using LlmBatch.Tests.TestSupport;

namespace LlmBatch.Tests.Input;

public class BatchInputFileValidateTests
{
    private static readonly BatchValidationOptions NoTokens = new() { CountTokens = false };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ValidateAsync_ValidFile_CountsLinesRequestsEndpointsModels()
    {
        using var file = TempFile.WithLines(
            TempFile.Chat("a", extra: ",\"max_tokens\":10"),
            "",
            TempFile.Chat("b", model: "gpt-4.1"),
            "   ",
            TempFile.Embedding("c"));

        var report = await BatchInputFile.ValidateAsync(file.Path, cancellationToken: Ct);

        Assert.True(report.IsValid, string.Join("\n", report.Errors));
        Assert.Equal(5, report.Lines);
        Assert.Equal(3, report.Requests);
        Assert.Equal(2, report.BlankLines);
        Assert.Equal(2, report.ByEndpoint["/v1/chat/completions"]);
        Assert.Equal(1, report.ByEndpoint["/v1/embeddings"]);
        Assert.Equal(1, report.ByModel["gpt-4o-mini"]);
        Assert.Equal(1, report.ByModel["gpt-4.1"]);
        Assert.Equal(1, report.ByModel["text-embedding-3-small"]);
        Assert.Equal(10 + 256, report.ReservedCompletionTokens);
        Assert.Equal(0, report.TotalErrors);
        Assert.Equal(file.Path, report.Path);
    }

    [Fact]
    public async Task ValidateAsync_CountTokens_SumsTokenCounterEstimates()
    {
        using var file = TempFile.WithLines(TempFile.Chat("a", content: "hello world"), TempFile.Embedding("b", "hello world"));

        var report = await BatchInputFile.ValidateAsync(file.Path, cancellationToken: Ct);

        // Chat: 3 (message) + "user" 1 + "hello world" 2 + 3 (reply priming) = 9; embedding: 2.
        Assert.Equal(9 + 2, report.EstimatedPromptTokens);
    }

    [Fact]
    public async Task ValidateAsync_CountTokensOff_ReportsZeroPromptTokens()
    {
        using var file = TempFile.WithLines(TempFile.Chat("a"));

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        Assert.Equal(0, report.EstimatedPromptTokens);
        Assert.Equal(256, report.ReservedCompletionTokens);
    }

    [Fact]
    public async Task ValidateAsync_BomAndCrlf_Accepted()
    {
        var text = "\uFEFF" + TempFile.Chat("a") + "\r\n\r\n" + TempFile.Chat("b") + "\r\n";
        using var file = TempFile.WithBytes(Encoding.UTF8.GetBytes(text));

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        Assert.True(report.IsValid, string.Join("\n", report.Errors));
        Assert.Equal(3, report.Lines);
        Assert.Equal(2, report.Requests);
        Assert.Equal(1, report.BlankLines);
    }

    [Fact]
    public async Task ValidateAsync_BomOnALaterLine_ReportedWithLineNotSkipped()
    {
        // One rule for every reader: a BOM belongs at the start of the file only (see JsonlLineReader).
        var text = "\uFEFF" + TempFile.Chat("a") + "\n\uFEFF" + TempFile.Chat("b") + "\n" + TempFile.Chat("c") + "\n";
        using var file = TempFile.WithBytes(Encoding.UTF8.GetBytes(text));

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Equal(2, error.Line);
        Assert.Contains("byte order mark", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, report.Requests);
    }

    [Fact]
    public async Task ValidateAsync_LastLineWithoutNewlineButComplete_Accepted()
    {
        using var file = TempFile.WithText(TempFile.Chat("a") + "\n" + TempFile.Chat("b"));

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        Assert.True(report.IsValid, string.Join("\n", report.Errors));
        Assert.Equal(2, report.Requests);
    }

    [Fact]
    public async Task ValidateAsync_BadLines_ListsEveryProblemWithLineAndField()
    {
        using var file = TempFile.WithLines(
            TempFile.Chat("a"),
            """{"custom_id":"b","method":"GET","url":"/v1/chat/completions","body":{"model":"m"}}""",
            """{"custom_id":"c","method":"POST","url":"/v1/images","body":{"model":"m"}}""",
            """{"custom_id":"d","method":"POST","url":"/v1/embeddings","body":{"input":"x"}}""",
            """{"method":"POST","url":"/v1/embeddings","body":{"model":"m"}}""",
            """{"custom_id":"f","method":"POST","url":"/v1/embeddings","body":{"model":"m"} x""");

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        Assert.False(report.IsValid);
        Assert.Equal(1, report.Requests);
        Assert.Equal(5, report.TotalErrors);
        Assert.Collection(
            report.Errors,
            e => Assert.Equal((2L, "method"), (e.Line, e.Field)),
            e => Assert.Equal((3L, "url"), (e.Line, e.Field)),
            e => Assert.Equal((4L, "body.model"), (e.Line, e.Field)),
            e => Assert.Equal((5L, "custom_id"), (e.Line, e.Field)),
            e => Assert.Equal((6L, ""), (e.Line, e.Field)));
        Assert.All(report.Errors, e => Assert.Equal(file.Path, e.Path));
        Assert.StartsWith($"{file.Path}:2: method: must be POST", report.Errors[0].ToString(), StringComparison.Ordinal);
        Assert.Contains("invalid JSON", report.Errors[4].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_DuplicateIds_NamesBothLines()
    {
        using var file = TempFile.WithLines(
            TempFile.Chat("x"),
            TempFile.Chat("dup"),
            TempFile.Chat("y"),
            TempFile.Chat("dup"),
            TempFile.Chat("z"),
            TempFile.Chat("dup"));

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        Assert.False(report.IsValid);
        Assert.Equal(4, report.Requests);
        Assert.Equal(2, report.TotalErrors);
        Assert.Equal(4, report.Errors[0].Line);
        Assert.Equal("custom_id", report.Errors[0].Field);
        Assert.Contains("\"dup\" is already used on line 2", report.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(6, report.Errors[1].Line);
        Assert.Contains("on line 2", report.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_DuplicateAmongOtherErrors_KeepsFileOrder()
    {
        using var file = TempFile.WithLines(
            TempFile.Chat("a"),
            """{"custom_id":"b","method":"GET","url":"/v1/embeddings","body":{"model":"m"}}""",
            TempFile.Chat("a"),
            """{"custom_id":"c","method":"GET","url":"/v1/embeddings","body":{"model":"m"}}""");

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        Assert.Equal([2L, 3L, 4L], report.Errors.Select(e => e.Line));
        Assert.Contains("on line 1", report.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_DuplicateInNonSeekableStream_NamesEarlierLine()
    {
        var bytes = Encoding.UTF8.GetBytes(TempFile.Chat("a") + "\n" + TempFile.Chat("a") + "\n");
        using var stream = new NonSeekableStream(bytes);

        var report = await BatchInputFile.ValidateAsync(stream, "-", NoTokens, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Equal(("-", 2L, "custom_id"), (error.Path, error.Line, error.Field));
        Assert.Contains("earlier line", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_DuplicateInSeekableStream_NamesFirstLine()
    {
        var bytes = Encoding.UTF8.GetBytes("\n" + TempFile.Chat("a") + "\n" + TempFile.Chat("a") + "\n");
        using var stream = new MemoryStream(bytes);

        var report = await BatchInputFile.ValidateAsync(stream, "mem", NoTokens, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Equal(3, error.Line);
        Assert.Contains("on line 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_MoreErrorsThanCap_ListsCapAndCountsAll()
    {
        var lines = Enumerable.Range(1, 250).Select(i => $$$"""{"custom_id":"{{{i}}}","method":"GET","url":"/v1/embeddings","body":{"model":"m"}}""").ToArray();
        using var file = TempFile.WithLines(lines);

        var capped = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);
        var small = await BatchInputFile.ValidateAsync(file.Path, new BatchValidationOptions { MaxErrors = 7, CountTokens = false }, Ct);

        Assert.Equal(100, capped.Errors.Count);
        Assert.Equal(250, capped.TotalErrors);
        Assert.Equal(100, capped.Errors[^1].Line);
        Assert.Equal(7, small.Errors.Count);
        Assert.Equal(250, small.TotalErrors);
    }

    [Fact]
    public async Task ValidateAsync_InvalidUtf8_NamesLine()
    {
        var bytes = Encoding.UTF8.GetBytes(TempFile.Chat("a") + "\n").Concat(Encoding.UTF8.GetBytes(TempFile.Chat("b\u00e9"))).ToArray();
        var i = Array.LastIndexOf(bytes, (byte)0xC3);
        bytes[i] = 0xFF;
        using var file = TempFile.WithBytes([.. bytes, (byte)'\n']);

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Equal(2, error.Line);
        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
        Assert.Contains("0xFF", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_OversizeLine_NamesLineAndSizeAndGoesOn()
    {
        var big = TempFile.Chat("big", content: new string('x', 5000));
        using var file = TempFile.WithLines(TempFile.Chat("a"), big, TempFile.Chat("c"));

        var report = await BatchInputFile.ValidateAsync(file.Path, new BatchValidationOptions { MaxLineBytes = 1000, CountTokens = false }, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Equal(2, error.Line);
        Assert.Contains($"{Encoding.UTF8.GetByteCount(big):N0} bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("1,000 bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, report.Requests);
        Assert.Equal(3, report.Lines);
    }

    [Fact]
    public async Task ValidateAsync_OversizeLineLongerThanReadBuffer_CountsAllItsBytes()
    {
        // 300 KB: several reads of the 64 KB buffer are skipped without being kept.
        var big = TempFile.Chat("big", content: new string('x', 300_000));
        using var file = TempFile.WithText(TempFile.Chat("a") + "\r\n" + big + "\r\n" + TempFile.Chat("c") + "\r\n");

        var report = await BatchInputFile.ValidateAsync(file.Path, new BatchValidationOptions { MaxLineBytes = 100_000, CountTokens = false }, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Equal(2, error.Line);
        Assert.Contains($"the line is {Encoding.UTF8.GetByteCount(big):N0} bytes,", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, report.Requests);
    }

    [Fact]
    public async Task ValidateAsync_OversizeLineOfMegabytes_GivesSizeInMiB()
    {
        var big = TempFile.Chat("big", content: new string('x', 1_600_000));
        using var file = TempFile.WithLines(big);

        var report = await BatchInputFile.ValidateAsync(file.Path, new BatchValidationOptions { MaxLineBytes = 1024 * 1024, CountTokens = false }, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Contains($"the line is 1.5 MiB ({Encoding.UTF8.GetByteCount(big):N0} bytes), more than the limit of 1.0 MiB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_LineLargerThanInitialBuffer_WithinCap_Accepted()
    {
        var big = TempFile.Chat("big", content: new string('y', 200_000));
        using var file = TempFile.WithLines(TempFile.Chat("a"), big, TempFile.Chat("c"));

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        Assert.True(report.IsValid, string.Join("\n", report.Errors));
        Assert.Equal(3, report.Requests);
    }

    [Fact]
    public async Task ValidateAsync_TruncatedLastLine_SaysFileLooksTruncated()
    {
        var full = TempFile.Chat("b");
        using var file = TempFile.WithText(TempFile.Chat("a") + "\n" + full[..(full.Length / 2)]);

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Equal(2, error.Line);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_IncompleteObjectInMiddle_SaysOneObjectPerLine()
    {
        var full = TempFile.Chat("b");
        using var file = TempFile.WithLines(TempFile.Chat("a"), full[..(full.Length / 2)], TempFile.Chat("c"));

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Equal(2, error.Line);
        Assert.Contains("single line", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[\n  {\"custom_id\":\"a\"},\n  {\"custom_id\":\"b\"}\n]\n", "JSON array")]
    [InlineData("[{\"custom_id\":\"a\"},{\"custom_id\":\"b\"}]", "JSON array")]
    [InlineData("{\n  \"custom_id\": \"a\",\n  \"method\": \"POST\"\n}\n", "pretty-printed JSON")]
    [InlineData("custom_id,prompt\na,hello\nb,world\n", "CSV")]
    [InlineData("Hello there\nthis is a note\n", "plain text")]
    [InlineData("just one line", "plain text")]
    public async Task ValidateAsync_NotJsonl_OneErrorSayingWhatItLooksLike(string content, string looksLike)
    {
        using var file = TempFile.WithText(content);

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Equal(1, report.TotalErrors);
        Assert.Equal(1, error.Line);
        Assert.Contains("not JSONL", error.Message, StringComparison.Ordinal);
        Assert.Contains(looksLike, error.Message, StringComparison.Ordinal);
        Assert.Contains("one request object per line", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_StrayHeaderLineThenJsonl_PlainErrorOnThatLineOnly()
    {
        using var file = TempFile.WithLines("# my requests, v2", TempFile.Chat("a"), TempFile.Chat("b"));

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Equal(1, error.Line);
        Assert.Contains("invalid JSON", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, report.Requests);
    }

    [Fact]
    public async Task ValidateAsync_CompressedFile_SaysBinary()
    {
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            var text = string.Join("\n", Enumerable.Range(0, 200).Select(i => TempFile.Chat($"id-{i}", content: Guid.NewGuid().ToString())));
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        using var file = TempFile.WithBytes(compressed.ToArray());

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Contains("binary file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_Utf16File_SaysSaveAsUtf8()
    {
        using var file = TempFile.WithBytes([.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(TempFile.Chat("a") + "\n")]);

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Contains("UTF-16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_MissingFile_ReportsNoSuchFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"llmbatch-missing-{Guid.NewGuid():N}.jsonl");

        var report = await BatchInputFile.ValidateAsync(path, NoTokens, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Equal((path, 0L), (error.Path, error.Line));
        Assert.Contains("no such file", error.Message, StringComparison.Ordinal);
        Assert.False(report.IsValid);
    }

    [Fact]
    public async Task ValidateAsync_Directory_ReportsDirectory()
    {
        var report = await BatchInputFile.ValidateAsync(Path.GetTempPath(), NoTokens, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Contains("is a directory", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n  \n\r\n")]
    [InlineData("\uFEFF")]
    public async Task ValidateAsync_NoRequests_ReportsEmptyAndIsInvalid(string content)
    {
        using var file = TempFile.WithText(content);

        var report = await BatchInputFile.ValidateAsync(file.Path, NoTokens, Ct);

        Assert.False(report.IsValid);
        Assert.Equal(0, report.Requests);
        var error = Assert.Single(report.Errors);
        Assert.Contains("holds no requests", error.Message, StringComparison.Ordinal);
        Assert.Throws<BatchInputException>(report.ThrowIfInvalid);
    }

    [Fact]
    public async Task ThrowIfInvalid_InvalidReport_CarriesErrorsAndTotal()
    {
        var lines = Enumerable.Range(1, 5).Select(i => $$$"""{"custom_id":"{{{i}}}","method":"GET","url":"/v1/embeddings","body":{"model":"m"}}""").ToArray();
        using var file = TempFile.WithLines(lines);
        var report = await BatchInputFile.ValidateAsync(file.Path, new BatchValidationOptions { MaxErrors = 2, CountTokens = false }, Ct);

        var ex = Assert.Throws<BatchInputException>(report.ThrowIfInvalid);

        Assert.Equal(2, ex.Errors.Count);
        Assert.Equal(5, ex.TotalErrors);
        Assert.Contains("and 3 more", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_BadOptions_ThrowsListingEveryProblem()
    {
        var options = new BatchValidationOptions { MaxErrors = 0, MaxLineBytes = 1, DefaultMaxOutputTokens = -1 };

        var ex = await Assert.ThrowsAsync<BatchOptionsException>(() => BatchInputFile.ValidateAsync("x.jsonl", options, Ct));

        Assert.Equal(3, ex.Problems.Count);
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }
    }
}
