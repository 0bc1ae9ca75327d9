using System.Text;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Results;

namespace LlmBatch.Tests.Output;

/// <summary>Output lines written by other tools, or by hand: odd numbers, lone surrogates, bodies of the wrong shape.</summary>
public class OutputLineHostileTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Line(string response, string llmbatch = """{"attempts":1}""", string customId = "a") =>
        $$"""{"id":"batch_req_1","custom_id":"{{customId}}","response":{{response}},"error":null,"llmbatch":{{llmbatch}}}""";

    [Theory]
    [InlineData("200.0")]
    [InlineData("2e2")]
    [InlineData("200")]
    public async Task OpenAsync_StatusCodeWrittenAsDecimal_CountedAsSuccess(string status)
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        var line = Line($$$"""{"status_code":{{{status}}},"body":{"choices":[]}}""");
        await File.WriteAllTextAsync(path, line + "\n" + Line("""{"status_code":200,"body":{}}""", customId: "b") + "\n", Ct);

        var checkpoint = await OutputCheckpoint.OpenAsync(path, retryFailed: true, Ct);

        Assert.Equal(2, checkpoint.Succeeded);
        Assert.True(checkpoint.IsDone("a"));
        var parsed = OutputLineParser.Parse(Encoding.UTF8.GetBytes(line), out _, out var problem);
        Assert.Equal("", problem);
        Assert.Equal(200, parsed!.StatusCode);
    }

    [Theory]
    [InlineData("200.5")]
    [InlineData("1e300")]
    [InlineData("\"200\"")]
    [InlineData("-200")]
    public async Task OpenAsync_StatusCodeNotAWholeStatus_ReportedWithLineNotThrown(string status)
    {
        using var dir = new TempDir();
        var path = dir.File("out.jsonl");
        await File.WriteAllTextAsync(path, Line($$$"""{"status_code":{{{status}}},"body":{}}""") + "\n" + Line("""{"status_code":200,"body":{}}""", customId: "b") + "\n", Ct);

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => OutputCheckpoint.OpenAsync(path, retryFailed: false, Ct));

        Assert.Equal(1, Assert.Single(ex.Errors).Line);
    }

    [Theory]
    [InlineData("""{"attempts":1e10,"statuses":[200.0,"x",{}],"latency_ms":"slow","prompt_tokens":-1e300,"usage_reported":{},"started_at":"yesterday","line":[1]}""")]
    [InlineData("""{"attempts":{"a":1},"statuses":{},"finished_at":12,"model":5,"completion_tokens":[1,2]}""")]
    [InlineData("""{"attempts":2,"c\ude00ompletion_tokens":1,"\ud83d":{}}""")] // found by the fuzz test: escaped lone surrogates in names
    public void Parse_OddLlmbatchFacts_ResultStillRead(string facts)
    {
        var result = OutputLineParser.Parse(Encoding.UTF8.GetBytes(Line("""{"status_code":200,"body":{"choices":[]}}""", facts)), out _, out var problem);

        Assert.Equal("", problem);
        Assert.True(result!.IsSuccess);
    }

    [Fact]
    public void Parse_LoneSurrogatesInTextFields_ReadWithReplacementCharacter()
    {
        var line = """{"id":"x\ud83d","custom_id":"a","response":{"status_code":400,"request_id":"r\udc00","body":"text\ud83d"},"error":{"code":"http_400","message":"m\ud83d"},"llmbatch":{"model":"m\ud800"}}""";

        var result = OutputLineParser.Parse(Encoding.UTF8.GetBytes(line), out _, out var problem);

        Assert.Equal("", problem);
        Assert.Equal("m\ufffd", result!.Error!.Message);
        Assert.Equal("m\ufffd", result.Stats.Model);
        Assert.True(OutputLineScanner.TryScan(Encoding.UTF8.GetBytes(line), out _, out var success));
        Assert.False(success);
    }

    public static TheoryData<string> OddSuccessBodies => new()
    {
        """{"choices":[1]}""",
        """{"choices":["x"]}""",
        """{"choices":[{"message":{"content":5}}]}""",
        """{"choices":[{"message":"hi","finish_reason":7}]}""",
        """{"output":[1,{"content":[2,{"type":"output_text","text":3}]}]}""",
        """{"data":[1]}""",
        """{"data":[{"embedding":["a"]}]}""",
        """{"data":[{"embedding":"!!notbase64"}]}""",
    };

    [Theory]
    [MemberData(nameof(OddSuccessBodies))]
    public async Task MergeAsync_SuccessWithOddBody_MergedNotThrown(string body)
    {
        using var dir = new TempDir();
        var results = new[]
        {
            new BatchResult { Id = "x", CustomId = "a", StatusCode = 200, ResponseBody = Encoding.UTF8.GetBytes(body), Stats = new BatchItemStats(), LineNumber = 1 },
            new BatchResult { Id = "x", CustomId = "b", StatusCode = 200, ResponseBody = Encoding.UTF8.GetBytes("""{"choices":[{"message":{"content":"fine"}}]}"""), Stats = new BatchItemStats(), LineNumber = 2 },
        };

        var report = await BatchResultsMerger.MergeAsync(results.ToAsyncEnumerable(), new BatchMergeOptions { OutputPrefix = dir.File("m"), TextFormat = TextTableFormat.Csv }, Ct);

        Assert.Equal(2, report.Total);
    }

    [Fact]
    public async Task MergeAsync_LoneSurrogateInContent_MergedWithReplacementCharacter()
    {
        using var dir = new TempDir();
        var results = new[]
        {
            new BatchResult { Id = "x", CustomId = "a", StatusCode = 200, ResponseBody = Encoding.UTF8.GetBytes("""{"choices":[{"message":{"content":"cut \ud83d"},"finish_reason":"length"}]}"""), Stats = new BatchItemStats(), LineNumber = 1 },
        };

        var report = await BatchResultsMerger.MergeAsync(results.ToAsyncEnumerable(), new BatchMergeOptions { OutputPrefix = dir.File("m") }, Ct);

        Assert.Equal(0, report.Failed);
        Assert.Contains("cut \ufffd", await File.ReadAllTextAsync(dir.File("m.merged.jsonl"), Ct), StringComparison.Ordinal);
    }
}
