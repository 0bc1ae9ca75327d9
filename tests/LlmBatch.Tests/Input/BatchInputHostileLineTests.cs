using System.Text;
using LlmBatch.Input;
using LlmBatch.Json;
using LlmBatch.RateLimiting;
using LlmBatch.Tests.TestSupport;

namespace LlmBatch.Tests.Input;

/// <summary>Lines that are valid JSON but hostile or unlucky: lone surrogates, deep bodies, repeated keys, huge numbers.</summary>
public class BatchInputHostileLineTests
{
    private static readonly BatchValidationOptions WithTokens = new() { CountTokens = true };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<BatchValidationReport> ValidateAsync(params string[] lines)
    {
        using var file = TempFile.WithLines(lines);
        return await BatchInputFile.ValidateAsync(file.Path, WithTokens, Ct);
    }

    private static BatchInputError SingleError(BatchValidationReport report)
    {
        Assert.False(report.IsValid);
        return Assert.Single(report.Errors);
    }

    [Fact]
    public async Task ValidateAsync_LoneSurrogateInCustomId_RejectedWithLineAndField()
    {
        var report = await ValidateAsync(TempFile.Chat("ok"), TempFile.Chat("cut-\\ud83d"));

        var error = SingleError(report);
        Assert.Equal(2, error.Line);
        Assert.Equal("custom_id", error.Field);
        Assert.Contains("surrogate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_LoneSurrogateInModel_RejectedWithLineAndField()
    {
        var error = SingleError(await ValidateAsync(TempFile.Chat("a", model: "gpt-\\udc00")));

        Assert.Equal("body.model", error.Field);
    }

    [Theory]
    [InlineData("Half an emoji: \\ud83d")]
    [InlineData("\\ude00 low first")]
    [InlineData("\\ud83d\\ud83d two highs")]
    public async Task ValidateAsync_LoneSurrogateInMessage_AcceptedAndCounted(string content)
    {
        var report = await ValidateAsync(TempFile.Chat("a", content: content));

        Assert.True(report.IsValid, string.Join("\n", report.Errors));
        Assert.True(report.EstimatedPromptTokens > 7, $"{report.EstimatedPromptTokens} tokens");
    }

    [Fact]
    public async Task ValidateAsync_LoneSurrogateInAKey_AcceptedAndCounted()
    {
        var line = """{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"\ud83d":1,"model":"m","messages":[{"\udc00":"x","role":"user","content":"hello there"}]}}""";

        var report = await ValidateAsync(line);

        Assert.True(report.IsValid, string.Join("\n", report.Errors));
        Assert.True(report.EstimatedPromptTokens > 7);
    }

    [Fact]
    public async Task ReadAsync_LoneSurrogateInMessage_RequestKeepsTheBytesAsSent()
    {
        var line = TempFile.Chat("a", content: "x\\ud83d");
        using var file = TempFile.WithLines(line);

        var requests = new List<BatchRequest>();
        await foreach (var r in BatchInputFile.ReadAsync(file.Path, Ct))
        {
            requests.Add(r);
        }

        Assert.Contains("x\\ud83d", Encoding.UTF8.GetString(Assert.Single(requests).Body.Span), StringComparison.Ordinal);
    }

    [Fact]
    public void CountPromptTokens_LoneSurrogate_CountsInsteadOfThrowing()
    {
        var request = BatchRequest.Create("a", "/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"abc \ud83d def"}]}""".Replace("\ud83d", "\\ud83d", StringComparison.Ordinal));

        Assert.Equal(TokenCounter.Shared.CountPromptTokens(BatchRequest.Create("b", "/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"abc \ufffd def"}]}""")), TokenCounter.Shared.CountPromptTokens(request));
    }

    [Fact]
    public void Create_LoneSurrogateCustomId_Rejected()
    {
        var ex = Assert.Throws<BatchInputException>(() => BatchRequest.Create("a\ud83d", "/v1/embeddings", """{"model":"m","input":"x"}"""));

        Assert.Equal("custom_id", Assert.Single(ex.Errors).Field);
    }

    [Theory]
    [InlineData(65)]
    [InlineData(200)]
    public async Task ValidateAsync_BodyDeeperThan64UnderTheLineLimit_ValidAndCounted(int depth)
    {
        var deep = new string('[', depth) + new string(']', depth);
        var report = await ValidateAsync(TempFile.Chat("a", extra: $",\"metadata_deep\":{deep}"));

        Assert.True(report.IsValid, string.Join("\n", report.Errors));
        Assert.True(report.EstimatedPromptTokens > 0);
    }

    [Fact]
    public async Task ValidateAsync_LineDeeperThanTheLimit_OneClearError()
    {
        var deep = new string('[', 300) + new string(']', 300);
        var error = SingleError(await ValidateAsync(TempFile.Chat("a", extra: $",\"x\":{deep}")));

        Assert.Equal(1, error.Line);
        Assert.Contains("depth", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"custom_id":"a","custom_id":"b","method":"POST","url":"/v1/embeddings","body":{"model":"m","input":"x"}}""", "custom_id")]
    [InlineData("""{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"m","input":"x","model":"local/minilm"}}""", "body.model")]
    [InlineData("""{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x"},{"role":"user","role":"system","content":"y"}]}}""", "body.messages[1].role")]
    [InlineData("""{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"m","input":"x","mod\u0065l":"n"}}""", "body.model")]
    [InlineData("""{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"m","input":"x"},"body":{"model":"n","input":"y"}}""", "body")]
    public async Task ValidateAsync_RepeatedKey_RejectedWithLineAndKey(string line, string field)
    {
        var error = SingleError(await ValidateAsync(TempFile.Embedding("first"), line));

        Assert.Equal(2, error.Line);
        Assert.Equal(field, error.Field);
        Assert.Contains("twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_SameKeyInSiblingObjects_Valid()
    {
        var report = await ValidateAsync("""{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}],"metadata":{"model":"z","a":{"model":1}}}}""");

        Assert.True(report.IsValid, string.Join("\n", report.Errors));
    }

    [Fact]
    public void TryFind_ObjectWithManyKeys_FindsTheRepeatLinearly()
    {
        var keys = string.Join(",", Enumerable.Range(0, 50_000).Select(i => $"\"k{i}\":{i}"));
        var json = Encoding.UTF8.GetBytes("{\"a\":{" + keys + ",\"k49999\":0}}");

        Assert.True(JsonDuplicateKeys.TryFind(json, out var path));
        Assert.Equal("a.k49999", path);
        Assert.False(JsonDuplicateKeys.TryFind(Encoding.UTF8.GetBytes("{" + keys + "}"), out _));
    }

    [Theory]
    [InlineData("max_tokens", "10000001")]
    [InlineData("max_completion_tokens", "3000000000")]
    [InlineData("max_output_tokens", "-1")]
    [InlineData("max_tokens", "1e300")]
    public async Task ValidateAsync_MaxTokensOutOfRange_RejectedWithLineAndField(string field, string value)
    {
        var error = SingleError(await ValidateAsync(TempFile.Chat("a", extra: $",\"{field}\":{value}")));

        Assert.Equal("body." + field, error.Field);
        Assert.Contains("10,000,000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_LoneSurrogateInAMessageUnderATokenBudget_SentCountedAndWritten()
    {
        using var dir = new Output.TempDir();
        var input = dir.File("in.jsonl");
        await File.WriteAllTextAsync(input, TempFile.Chat("a", content: "Half an emoji: \\ud83d") + "\n", Ct);
        var provider = new ScriptedHandler(ScriptedHandler.Status(200));
        var engine = new BatchEngineBuilder(provider).WithOptions(new BatchOptions { TokensPerMinute = 1_000_000 }).Build();

        var result = await BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = input, OutputPath = dir.File("out.jsonl") }, Ct);

        Assert.Equal(1, provider.Calls);
        Assert.Equal(1, result.Summary.Succeeded);
        Assert.Single(await File.ReadAllLinesAsync(dir.File("out.jsonl"), Ct));
    }
}
