using System.Text;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch.Tests.Output;

public class BatchOutputFileTests
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
    public async Task ReadAsync_RoundTrip_ReturnsWhatWasWritten()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var html = "<html>502 Bad Gateway</html>";
        var written = new[]
        {
            ResultFactory.Success("ok-1", line: 3),
            ResultFactory.Failure("bad-2", 400, """{"error":{"message":"no"}}""", line: 4),
            ResultFactory.Failure("gw-3", 502, html, line: 5),
            ResultFactory.Failure("conn-4", 0, line: 6),
            ResultFactory.Success("zoë-東京-🚀\"quoted\"", line: 7),
        };
        await File.WriteAllTextAsync(path, ResultFactory.Lines(written), TestContext.Current.CancellationToken);

        var read = await ReadAll(path);

        Assert.Equal(written.Length, read.Count);
        for (var i = 0; i < written.Length; i++)
        {
            var w = written[i];
            var r = read[i];
            Assert.Equal(w.CustomId, r.CustomId);
            Assert.Equal(w.Id, r.Id);
            Assert.Equal(w.StatusCode, r.StatusCode);
            Assert.Equal(w.RequestId, r.RequestId);
            Assert.Equal(w.Error, r.Error);
            Assert.Equal(w.IsSuccess, r.IsSuccess);
            Assert.Equal(w.LineNumber, r.LineNumber);
            Assert.Equal(w.Stats.Attempts, r.Stats.Attempts);
            Assert.Equal(w.Stats.Statuses, r.Stats.Statuses);
            Assert.Equal(w.Stats.Model, r.Stats.Model);
            Assert.Equal(w.Stats.PromptTokens, r.Stats.PromptTokens);
            Assert.Equal(w.Stats.UsageReported, r.Stats.UsageReported);
            if (w.StatusCode != 0)
            {
                Assert.Equal(Encoding.UTF8.GetString(w.ResponseBody.Span), Encoding.UTF8.GetString(r.ResponseBody.Span));
            }
        }

        Assert.Equal(new DateTimeOffset(2026, 11, 28, 3, 0, 0, 123, TimeSpan.Zero), read[0].Stats.StartedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 3, 0, 1, 20, TimeSpan.Zero), read[0].Stats.FinishedAt);
        Assert.Equal(412.5, read[0].Stats.LatencyMs);
        Assert.Equal(html, Encoding.UTF8.GetString(read[2].ResponseBody.Span));
    }

    [Fact]
    public async Task ReadAsync_WithoutBodies_SameResultsWithEmptyBodies()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var written = new[]
        {
            ResultFactory.Success("ok-1", line: 3),
            ResultFactory.Failure("bad-2", 400, """{"error":{"message":"no"}}""", line: 4),
            ResultFactory.Failure("gw-3", 502, "<html>502</html>", line: 5),
        };
        await File.WriteAllTextAsync(path, ResultFactory.Lines(written), TestContext.Current.CancellationToken);

        var full = await ReadAll(path);
        var lean = new List<BatchResult>();
        await foreach (var r in BatchOutputFile.ReadAsync(path, withBodies: false, TestContext.Current.CancellationToken))
        {
            lean.Add(r);
        }

        Assert.Equal(full.Count, lean.Count);
        for (var i = 0; i < full.Count; i++)
        {
            Assert.True(lean[i].ResponseBody.IsEmpty);
            Assert.False(full[i].ResponseBody.IsEmpty);
            Assert.Equal(full[i].CustomId, lean[i].CustomId);
            Assert.Equal(full[i].Id, lean[i].Id);
            Assert.Equal(full[i].StatusCode, lean[i].StatusCode);
            Assert.Equal(full[i].RequestId, lean[i].RequestId);
            Assert.Equal(full[i].Error, lean[i].Error);
            Assert.Equal(full[i].LineNumber, lean[i].LineNumber);
            Assert.Equal(full[i].Stats.StartedAt, lean[i].Stats.StartedAt);
            Assert.Equal(full[i].Stats.Statuses, lean[i].Stats.Statuses);
            Assert.Equal(full[i].IsSuccess, lean[i].IsSuccess);
        }
    }

    [Theory]
    [InlineData("2026-11-28T03:00:00.123Z")]
    [InlineData("2026-11-28T03:00:00.123+00:00")]
    [InlineData("2026-11-28T04:00:00.123+01:00")]
    [InlineData("2026-11-28T03:00:00.1230000Z")]
    [InlineData("2026-11-28T03:00:00.123\\u005A")]
    public void Parse_StartedAtInEveryIsoForm_SameInstant(string started)
    {
        var line = "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{}},\"error\":null,\"llmbatch\":{\"started_at\":\"" + started + "\"}}";

        var result = OutputLineParser.Parse(Encoding.UTF8.GetBytes(line), out _, out var problem);

        Assert.Equal("", problem);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 3, 0, 0, 123, TimeSpan.Zero), result!.Stats.StartedAt);
    }

    [Fact]
    public async Task ReadAsync_ProviderLineWithoutLlmbatchKey_UsesDefaults()
    {
        using var dir = new TempDir();
        var path = dir.File("provider.jsonl");
        await File.WriteAllTextAsync(
            path,
            """
            {"id": "batch_req_123", "custom_id": "request-2", "response": {"status_code": 200, "request_id": "req_123", "body": {"id": "chatcmpl-123", "object": "chat.completion", "choices": []}}, "error": null}
            {"id": "batch_req_456", "custom_id": "request-1", "response": null, "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}}
            """,
            TestContext.Current.CancellationToken);

        var read = await ReadAll(path);

        Assert.Equal(2, read.Count);
        Assert.Equal("batch_req_123", read[0].Id);
        Assert.Equal("request-2", read[0].CustomId);
        Assert.True(read[0].IsSuccess);
        Assert.Equal(0, read[0].Stats.Attempts);
        Assert.Equal(0, read[0].LineNumber);
        Assert.StartsWith("{\"id\": \"chatcmpl-123\"", Encoding.UTF8.GetString(read[0].ResponseBody.Span), StringComparison.Ordinal);
        Assert.False(read[1].IsSuccess);
        Assert.Equal("batch_expired", read[1].Error!.Code);
        Assert.Equal(0, read[1].StatusCode);
    }

    [Theory]
    [InlineData("{\"id\":\"batch_req_1\",\"custom_id\":\"tor")]
    [InlineData("{")]
    [InlineData("\0\0\0\0")]
    [InlineData("{\"custom_id\":\"x\"}garbage")]
    public async Task ReadAsync_TornLastLine_IsSkipped(string tail)
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        await File.WriteAllTextAsync(path, ResultFactory.Lines(ResultFactory.Success("a"), ResultFactory.Success("b")) + tail, TestContext.Current.CancellationToken);

        var read = await ReadAll(path);

        Assert.Equal(["a", "b"], read.Select(r => r.CustomId));
    }

    [Fact]
    public async Task ReadAsync_CorruptMiddleLine_ThrowsNamingFileAndLine()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        await File.WriteAllTextAsync(
            path,
            ResultFactory.Line(ResultFactory.Success("a")) + "{not json\n" + ResultFactory.Line(ResultFactory.Success("b")),
            TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll(path));

        var error = Assert.Single(ex.Errors);
        Assert.Equal(path, error.Path);
        Assert.Equal(2, error.Line);
        Assert.Contains($"{path}:2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_MissingCustomIdInMiddle_NamesField()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        await File.WriteAllTextAsync(path, "{\"id\":\"x\"}\n\n" + ResultFactory.Line(ResultFactory.Success("b")), TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ReadAll(path));

        Assert.Equal("custom_id", ex.Errors[0].Field);
        Assert.Equal(1, ex.Errors[0].Line);
    }

    [Fact]
    public async Task ReadAsync_LongLinesAndCrLf_AreRead()
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var big = "{\"text\":\"" + new string('x', 1_000_000) + "\"}";
        var content = ResultFactory.Line(ResultFactory.Success("big", big)).Replace("\n", "\r\n", StringComparison.Ordinal) + ResultFactory.Line(ResultFactory.Success("small"));
        await File.WriteAllTextAsync(path, content, TestContext.Current.CancellationToken);

        var read = await ReadAll(path);

        Assert.Equal(["big", "small"], read.Select(r => r.CustomId));
        Assert.Equal(big.Length, read[0].ResponseBody.Length);
    }

    [Fact]
    public async Task OutputLineScanner_Lines_ReportsHashAndOutcome()
    {
        var ok = Encoding.UTF8.GetBytes(ResultFactory.Line(ResultFactory.Success("a\"b")).TrimEnd('\n'));
        var failed = Encoding.UTF8.GetBytes(ResultFactory.Line(ResultFactory.Failure("c")).TrimEnd('\n'));
        var escaped = "{\"custom_id\":\"\\u0061\\\"b\",\"response\":{\"status_code\":204,\"body\":{}},\"error\":null}"u8.ToArray();

        Assert.True(OutputLineScanner.TryScan(ok, out var h1, out var s1));
        Assert.True(OutputLineScanner.TryScan(failed, out var h2, out var s2));
        Assert.True(OutputLineScanner.TryScan(escaped, out var h3, out var s3));
        Assert.False(OutputLineScanner.TryScan(ok.AsSpan(0, ok.Length - 1), out _, out _));

        Assert.Equal(CustomIdHash.Key("a\"b"), h1);
        Assert.True(s1);
        Assert.Equal(CustomIdHash.Key("c"), h2);
        Assert.False(s2);
        Assert.Equal(h1, h3);
        Assert.True(s3);
        await Task.CompletedTask;
    }
}
