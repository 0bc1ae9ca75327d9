using System.Net;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.RateLimiting;

namespace LlmBatch.Simulator.Tests.Endpoints;

public class CompletionTests
{
    [Fact]
    public async Task ChatCompletions_SameRequest_SameContentAndUsage()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var a = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        using var b = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        var first = await SimTest.JsonAsync(a);
        var second = await SimTest.JsonAsync(b);
        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(Content(first), Content(second));
        Assert.Equal(first.GetProperty("usage").ToString(), second.GetProperty("usage").ToString());
        Assert.False(string.IsNullOrEmpty(Content(first)));
    }

    [Fact]
    public async Task ChatCompletions_DifferentSeed_DifferentContent()
    {
        var other = SimTest.Instant();
        other.Seed = 42;
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        await using var sim2 = await SimulatorServer.StartAsync(other, TestContext.Current.CancellationToken);
        using var c1 = SimTest.Client(sim);
        using var c2 = SimTest.Client(sim2);
        using var a = await SimTest.PostAsync(c1, "chat/completions", SimTest.Chat);
        using var b = await SimTest.PostAsync(c2, "chat/completions", SimTest.Chat);
        Assert.NotEqual(Content(await SimTest.JsonAsync(a)), Content(await SimTest.JsonAsync(b)));
    }

    [Fact]
    public async Task ChatCompletions_Determinism_IndependentOfServerInstanceAndOrder()
    {
        const string other = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Something else"}]}""";
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        await using var sim2 = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var c1 = SimTest.Client(sim);
        using var c2 = SimTest.Client(sim2);
        using var x = await SimTest.PostAsync(c2, "chat/completions", other);
        using var a = await SimTest.PostAsync(c1, "chat/completions", SimTest.Chat);
        using var b = await SimTest.PostAsync(c2, "chat/completions", SimTest.Chat);
        Assert.Equal(Content(await SimTest.JsonAsync(a)), Content(await SimTest.JsonAsync(b)));
    }

    [Fact]
    public async Task ChatCompletions_MaxTokensBelowNaturalLength_CappedWithFinishReasonLength()
    {
        var options = SimTest.Instant();
        options.CompletionTokens = 50;
        options.CompletionDistribution = SimulatorLengthDistribution.Fixed;
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var capped = await SimTest.PostAsync(client, "chat/completions", """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""");
        using var free = await SimTest.PostAsync(client, "chat/completions", """{"model":"m","max_completion_tokens":500,"messages":[{"role":"user","content":"hi"}]}""");
        var c = await SimTest.JsonAsync(capped);
        var f = await SimTest.JsonAsync(free);
        Assert.Equal("length", c.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(5, c.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(5, Content(c).Split(' ').Length);
        Assert.Equal("stop", f.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(50, f.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task ChatCompletions_Usage_PromptTokensFromClientTokenizer()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        var usage = (await SimTest.JsonAsync(response)).GetProperty("usage");
        var expected = TokenCounter.Shared.CountPromptTokens(BatchRequest.Create("x", "/v1/chat/completions", SimTest.Chat));
        Assert.Equal(expected, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(
            usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(),
            usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task ChatCompletions_NChoices_ReturnsEachWithIndex()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, "chat/completions", """{"model":"m","n":3,"messages":[{"role":"user","content":"hi"}]}""");
        var json = await SimTest.JsonAsync(response);
        var choices = json.GetProperty("choices");
        Assert.Equal(3, choices.GetArrayLength());
        Assert.Equal([0, 1, 2], choices.EnumerateArray().Select(c => c.GetProperty("index").GetInt32()));
        Assert.Equal("chat.completion", json.GetProperty("object").GetString());
        Assert.Equal("assistant", choices[0].GetProperty("message").GetProperty("role").GetString());
    }

    [Fact]
    public async Task Completions_StringPrompt_ReturnsTextCompletion()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, "completions", """{"model":"gpt-3.5-turbo-instruct","prompt":"Once upon a time"}""");
        var json = await SimTest.JsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text_completion", json.GetProperty("object").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("choices")[0].GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Embeddings_ArrayInput_UnitVectorsOfRequestedDimension()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, "embeddings", """{"model":"text-embedding-3-small","input":["cat","dog","cat"],"dimensions":64}""");
        var json = await SimTest.JsonAsync(response);
        var data = json.GetProperty("data");
        Assert.Equal(3, data.GetArrayLength());
        var vectors = data.EnumerateArray().Select(d => d.GetProperty("embedding").EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
        Assert.All(vectors, v => Assert.Equal(64, v.Length));
        Assert.All(vectors, v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => x * x)), 4));
        Assert.Equal(vectors[0], vectors[2]);
        Assert.NotEqual(vectors[0], vectors[1]);
        Assert.True(json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task Embeddings_StringInputDefaultDimensionBase64_DecodesToUnitVector()
    {
        var options = SimTest.Instant();
        options.EmbeddingDimensions = 256;
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, "embeddings", """{"model":"e","input":"hello","encoding_format":"base64"}""");
        var json = await SimTest.JsonAsync(response);
        var bytes = Convert.FromBase64String(json.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        var floats = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, floats, 0, bytes.Length);
        Assert.Equal(256, floats.Length);
        Assert.Equal(1.0, Math.Sqrt(floats.Sum(x => (double)x * x)), 4);
    }

    private static string Content(JsonElement completion) =>
        completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
}
