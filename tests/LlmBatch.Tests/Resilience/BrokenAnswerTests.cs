using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using LlmBatch.Resilience;
using LlmBatch.Results;
using LlmBatch.Tests.Providers;
using LlmBatch.Tests.TestSupport;

namespace LlmBatch.Tests.Resilience;

/// <summary>
/// A 200 that is not a usable answer (not UTF-8, <c>choices</c> that are not objects) is retried, then recorded as
/// <c>invalid_response</c>, and never poisons the output file or the commands that read it.
/// </summary>
public sealed class BrokenAnswerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly byte[] Latin1Answer = [.. """{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"caf"""u8, 0xE9, 0xFF, .. "\"},\"finish_reason\":\"stop\"}]}"u8];

    public static TheoryData<string, byte[]> BrokenBodies => new()
    {
        { "latin-1 text", Latin1Answer },
        { "choices of numbers", """{"id":"x","choices":[1,2]}"""u8.ToArray() },
        { "choices a string", """{"id":"x","choices":"stop"}"""u8.ToArray() },
        { "choices twice", """{"id":"x","choices":[],"choices":[{"message":{"content":"y"}}]}"""u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(BrokenBodies))]
    public async Task Run_ServerAnswers200WithBrokenBody_RetriedThenInvalidResponseAndOutputStaysReadable(string what, byte[] body)
    {
        var requests = 0;
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            Interlocked.Increment(ref requests);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(body);
        }, Ct);
        using var dir = new TempDir();
        var input = dir.File("in.jsonl");
        var output = dir.File("out.jsonl");
        await File.WriteAllTextAsync(input, TempFile.Chat("a") + "\n" + TempFile.Chat("b") + "\n", Ct);
        using var provider = new HttpBatchHandler(new Uri(server.BaseUrl, "v1"), null);
        var engine = new BatchEngineBuilder(provider)
            .WithOptions(new BatchOptions { MaxAttempts = 3, RetryBaseDelay = TimeSpan.Zero, RetryMaxDelay = TimeSpan.Zero, RequestsPerMinute = 60_000 })
            .Build();

        var result = await BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = input, OutputPath = output }, Ct);

        Assert.Equal(6, requests);
        Assert.Equal(2, result.Summary.Failed);
        var bytes = await File.ReadAllBytesAsync(output, Ct);
        Assert.True(Utf8.IsValid(bytes), what);
        var lines = new List<BatchResult>();
        await foreach (var line in BatchOutputFile.ReadAsync(output, Ct))
        {
            lines.Add(line);
        }

        Assert.All(lines, l => Assert.Equal("invalid_response", l.Error?.Code));
        Assert.All(lines, l => Assert.Equal([200, 200, 200], l.Stats.Statuses));
        var merged = await BatchResultsMerger.MergeAsync(BatchOutputFile.ReadAsync(output, Ct), new BatchMergeOptions { OutputPrefix = dir.File("merged"), TextFormat = TextTableFormat.Csv }, Ct);
        Assert.Equal(2, merged.Failed);

        // A rerun finds both items done: nothing is sent again, nothing is rewritten.
        var rerun = await BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = input, OutputPath = output }, Ct);
        Assert.Equal(2, rerun.Skipped);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(output, Ct));
    }

    [Theory]
    [InlineData("""{"choices":[1]}""", BatchEndpointKind.ChatCompletions)]
    [InlineData("""{"choices":[{"message":{}},"x"]}""", BatchEndpointKind.ChatCompletions)]
    [InlineData("""{"choices":{"message":{}}}""", BatchEndpointKind.ChatCompletions)]
    [InlineData("""{"choices":null}""", BatchEndpointKind.ChatCompletions)]
    [InlineData("""{"data":[[0.1,0.2]]}""", BatchEndpointKind.Embeddings)]
    [InlineData("""{"output":["text"]}""", BatchEndpointKind.Responses)]
    [InlineData("""{"choices":[],"choices":[]}""", BatchEndpointKind.Completions)]
    public void IsValid_MemberNotAnArrayOfObjects_False(string body, BatchEndpointKind endpoint) =>
        Assert.False(ResponseShape.IsValid(Encoding.UTF8.GetBytes(body), endpoint));

    [Fact]
    public void IsValid_NotUtf8_False()
    {
        Assert.False(ResponseShape.IsValid(Latin1Answer, BatchEndpointKind.ChatCompletions));
        Assert.True(ResponseShape.IsValid(Encoding.UTF8.GetBytes(Encoding.Latin1.GetString(Latin1Answer)), BatchEndpointKind.ChatCompletions));
    }

    [Fact]
    public void IsValid_LoneSurrogateNamesAndText_JudgedNotThrown()
    {
        var body = """{"\ud800":1,"choices":[{"message":{"content":"x\ud83d"}}],"usage":{"\udc00":2,"prompt_tokens":3,"completion_tokens":4}}""";

        Assert.True(ResponseShape.IsValid(Encoding.UTF8.GetBytes(body), BatchEndpointKind.ChatCompletions));
        Assert.True(UsageReader.TryRead(Encoding.UTF8.GetBytes(body), out var prompt, out var completion));
        Assert.Equal((3, 4), (prompt, completion));
        Assert.Equal("x\ufffd", ErrorMessageReader.Read("""{"\ud800":0,"error":{"message":"x\ud83d"}}"""u8, 400));
    }

    [Fact]
    public void IsValid_BodyDeeperThan64_Valid()
    {
        var deep = new string('[', 100) + new string(']', 100);

        Assert.True(ResponseShape.IsValid(Encoding.UTF8.GetBytes($$$"""{"choices":[{"message":{"content":"x","tool":{{{deep}}}}}]}"""), BatchEndpointKind.ChatCompletions));
    }

    [Fact]
    public void Write_ErrorBodyJsonWithLatin1Bytes_LineIsUtf8AndReadsBack()
    {
        byte[] body = [.. """{"error":{"message":"refus"""u8, 0xE9, .. "\"}}"u8];
        var raw = new System.Buffers.ArrayBufferWriter<byte>();
        ResultLineWriter.Write(raw, new BatchResult { Id = "x", CustomId = "b", StatusCode = 500, ResponseBody = body, Error = new BatchError("http_500", "x"), Stats = new BatchItemStats() });
        Assert.True(Utf8.IsValid(raw.WrittenSpan));
        using var doc = JsonDocument.Parse(raw.WrittenMemory);
        Assert.Equal("refus\ufffd", doc.RootElement.GetProperty("response").GetProperty("body").GetProperty("error").GetProperty("message").GetString());
        Assert.NotNull(OutputLineParser.Parse(raw.WrittenSpan, out _, out _));
    }

    [Fact]
    public void Write_ErrorBodyDeeperThanTheLimit_StoredAsTextAndReadsBack()
    {
        var deep = new string('[', 400) + new string(']', 400);
        var raw = new System.Buffers.ArrayBufferWriter<byte>();
        ResultLineWriter.Write(raw, new BatchResult { Id = "x", CustomId = "b", StatusCode = 500, ResponseBody = Encoding.UTF8.GetBytes(deep), Error = new BatchError("http_500", "x"), Stats = new BatchItemStats() });

        var back = OutputLineParser.Parse(raw.WrittenSpan, out _, out var problem);

        Assert.NotNull(back);
        Assert.Equal("", problem);
        Assert.True(OutputLineScanner.TryScan(raw.WrittenSpan, out _, out _));
    }
}
