using System.Net;
using LlmBatch.Providers;
using LlmBatch.Tests.Providers;
using LlmBatch.Typed;
using Microsoft.Extensions.AI;

namespace LlmBatch.Tests.Typed;

public sealed class TypedBatchRunnerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TypedBatchRunner Runner(IBatchHandler provider, TypedBatchOptions? options = null) =>
        new(new BatchEngineBuilder(provider).WithOptions(new BatchOptions { MaxConcurrency = 4 }).Build(), options);

    private static async IAsyncEnumerable<T> Stream<T>(params T[] items)
    {
        foreach (var item in items)
        {
            await Task.Yield();
            yield return item;
        }
    }

    private static ChatBatchItem Chat(string id, string text, ChatOptions? options = null) =>
        new(id, [new ChatMessage(ChatRole.User, text)], options);

    private static FakeChatClient Echo() => new((messages, options, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "echo: " + messages[^1].Text))
    {
        ModelId = options?.ModelId,
        FinishReason = ChatFinishReason.Stop,
        Usage = new UsageDetails { InputTokenCount = 7, OutputTokenCount = 3, TotalTokenCount = 10 },
    }));

    [Fact]
    public async Task RunChatAsync_ThroughEngine_MessagesAndOptionsArriveAndResponseComesBackTyped()
    {
        var client = Echo();
        var runner = Runner(BatchProviders.ChatClient(client), new TypedBatchOptions { ChatModel = "default-model" });
        var options = new ChatOptions { ModelId = "m1", Temperature = 0.7f, MaxOutputTokens = 50, StopSequences = ["END"], Seed = 42 };

        var results = await runner.RunChatAsync(Stream(Chat("a", "hello", options), Chat("b", "world")), Ct).ToListAsync(Ct);

        Assert.Equal(2, results.Count);
        var a = Assert.Single(results, r => r.Id == "a");
        Assert.True(a.IsSuccess);
        Assert.Equal("echo: hello", a.Value.Text);
        Assert.Equal(ChatFinishReason.Stop, a.Value.FinishReason);
        Assert.Equal(7, a.Value.Usage?.InputTokenCount);
        Assert.Equal(3, a.Value.Usage?.OutputTokenCount);
        Assert.Equal("m1", a.Value.ModelId);
        Assert.Same(a.Result, a.Value.RawRepresentation);
        var sent = Assert.Single(client.Calls, c => c.Messages[^1].Text == "hello").Options!;
        Assert.Equal("m1", sent.ModelId);
        Assert.Equal(0.7f, sent.Temperature);
        Assert.Equal(50, sent.MaxOutputTokens);
        Assert.Equal(["END"], sent.StopSequences!);
        Assert.Equal(42, sent.Seed);
        Assert.Equal("default-model", Assert.Single(client.Calls, c => c.Messages[^1].Text == "world").Options!.ModelId);
        Assert.Equal(2, runner.GetProgress().Completed);
    }

    [Fact]
    public async Task RunChatAsync_RerunWithSameOutput_SendsNothingTwice()
    {
        using var dir = new TempDir();
        var output = dir.File("out.jsonl");
        var items = Enumerable.Range(0, 6).Select(i => Chat($"item-{i}", $"q{i}")).ToArray();

        var first = Echo();
        var firstResults = await Runner(BatchProviders.ChatClient(first), new TypedBatchOptions { ChatModel = "m", OutputPath = output })
            .RunChatAsync(Stream(items[..4]), Ct).ToListAsync(Ct);
        long resumed = -1;
        var second = Echo();
        var secondResults = await Runner(BatchProviders.ChatClient(second), new TypedBatchOptions { ChatModel = "m", OutputPath = output, Resumed = n => resumed = n })
            .RunChatAsync(Stream(items), Ct).ToListAsync(Ct);

        Assert.Equal(4, firstResults.Count);
        Assert.Equal(4, resumed);
        Assert.Equal(["item-4", "item-5"], secondResults.Select(r => r.Id).Order());
        Assert.Equal(["q4", "q5"], second.Calls.Select(c => c.Messages[^1].Text).Order());
        var lines = await File.ReadAllLinesAsync(output, Ct);
        Assert.Equal(6, lines.Length);
        Assert.All(lines, line => Assert.Contains("\"status_code\":200", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunChatAsync_StoppedMidway_RerunSendsOnlyTheRestAndTheOutputHoldsEachItemOnce()
    {
        using var dir = new TempDir();
        var output = dir.File("out.jsonl");
        var items = Enumerable.Range(0, 40).Select(i => Chat($"item-{i}", $"q{i}")).ToArray();
        using var stop = new CancellationTokenSource();
        var first = Echo();
        var firstResults = new List<BatchItemResult<ChatResponse>>();
        await foreach (var result in Runner(BatchProviders.ChatClient(first), new TypedBatchOptions { ChatModel = "m", OutputPath = output }).RunChatAsync(Stream(items), stop.Token))
        {
            firstResults.Add(result);
            if (firstResults.Count == 5)
            {
                // Cancel, not CancelAsync: its callbacks (the stop) would wait for the thread pool while instant items go on.
                stop.Cancel();
            }
        }

        var second = Echo();
        var secondResults = await Runner(BatchProviders.ChatClient(second), new TypedBatchOptions { ChatModel = "m", OutputPath = output })
            .RunChatAsync(Stream(items), Ct).ToListAsync(Ct);

        Assert.InRange(firstResults.Count, 5, 39);
        Assert.Equal(40, firstResults.Count + secondResults.Count);
        Assert.Equal(40 - firstResults.Count, second.Calls.Count);
        Assert.Empty(firstResults.Select(r => r.Id).Intersect(secondResults.Select(r => r.Id)));
        var ids = (await File.ReadAllLinesAsync(output, Ct)).Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString()).ToList();
        Assert.Equal(40, ids.Distinct().Count());
        Assert.Equal(40, ids.Count);
    }

    [Fact]
    public async Task RunChatAsync_ProviderRefusesOneItem_TypedFailureAndTheStreamGoesOn()
    {
        var client = new FakeChatClient((messages, _, _) => messages[^1].Text == "bad"
            ? throw new HttpRequestException("rejected by policy", null, HttpStatusCode.BadRequest)
            : Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "fine"))));
        var runner = Runner(BatchProviders.ChatClient(client), new TypedBatchOptions { ChatModel = "m" });

        var results = await runner.RunChatAsync(Stream(Chat("1", "ok"), Chat("2", "bad"), Chat("3", "ok too")), Ct).ToListAsync(Ct);

        Assert.Equal(3, results.Count);
        var failed = Assert.Single(results, r => !r.IsSuccess);
        Assert.Equal("2", failed.Id);
        Assert.Equal("http_400", failed.Error?.Code);
        Assert.Null(failed.Value);
        Assert.Equal(400, failed.Result?.StatusCode);
        Assert.All(results.Where(r => r.Id != "2"), r => Assert.Equal("fine", r.Value?.Text));
    }

    [Fact]
    public async Task RunChatAsync_ItemWithoutModelOrWithRepeatedId_RefusedWithoutSending()
    {
        var client = Echo();
        var runner = Runner(BatchProviders.ChatClient(client));
        var withModel = new ChatOptions { ModelId = "m" };

        var results = await runner.RunChatAsync(
            Stream(Chat("x", "one", withModel), Chat("no-model", "two"), Chat("x", "three", withModel), Chat("y", "four", withModel)), Ct).ToListAsync(Ct);

        Assert.Equal(4, results.Count);
        Assert.Equal("invalid_request", Assert.Single(results, r => r.Id == "no-model").Error?.Code);
        Assert.Contains("model", Assert.Single(results, r => r.Id == "no-model").Error!.Message, StringComparison.Ordinal);
        Assert.Single(results, r => r.Id == "x" && r.Error?.Code == "duplicate_id" && r.Result is null);
        Assert.Equal(["four", "one"], client.Calls.Select(c => c.Messages[^1].Text).Order());
    }

    [Fact]
    public async Task RunEmbeddingsAsync_ThroughEngine_VectorsComeBackPerItem()
    {
        var generator = new FakeEmbeddingGenerator((inputs, options) =>
            new GeneratedEmbeddings<Embedding<float>>(inputs.Select(t => new Embedding<float>(new[] { t.Length, options?.Dimensions ?? 0, 0.5f }))));
        var runner = Runner(BatchProviders.EmbeddingGenerator(generator), new TypedBatchOptions { EmbeddingModel = "e" });

        var results = await runner.RunEmbeddingsAsync(
            Stream(new EmbeddingBatchItem("short", "ab"), new EmbeddingBatchItem("long", "abcdef", new EmbeddingGenerationOptions { Dimensions = 3 })), Ct).ToListAsync(Ct);

        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal([2f, 0f, 0.5f], Assert.Single(results, r => r.Id == "short").Value!.Vector.ToArray());
        Assert.Equal([6f, 3f, 0.5f], Assert.Single(results, r => r.Id == "long").Value!.Vector.ToArray());
        Assert.All(generator.Calls, c => Assert.Equal("e", c.Options?.ModelId));
    }

    [Fact]
    public void Constructor_InvalidOptions_OneErrorListsEveryProblem()
    {
        var engine = new BatchEngineBuilder(BatchProviders.ChatClient(Echo())).Build();

        var error = Assert.Throws<BatchOptionsException>(() => new TypedBatchRunner(engine, new TypedBatchOptions { OutputPath = " ", ShutdownGracePeriod = TimeSpan.FromSeconds(-1) }));

        Assert.Equal(2, error.Problems.Count);
    }
}
