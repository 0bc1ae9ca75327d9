using System.Net;
using System.Text.Json;

namespace LlmBatch.Simulator.Tests.Endpoints;

public class StreamingTests
{
    [Fact]
    public async Task ChatStream_EventsAreDataLinesEndingWithDone_SameEveryTime()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        const string body = """{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}""";
        using var streamed = await SimTest.PostAsync(client, "chat/completions", body);
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType!.MediaType);
        var text = await streamed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.EndsWith("\n\n", text);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var content = string.Concat(chunks
            .Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
            .Select(d => d.TryGetProperty("content", out var s) ? s.GetString() : ""));
        var finish = chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("finish_reason")).Last();
        Assert.Equal("stop", finish.GetString());
        var usage = chunks[^1].GetProperty("usage");
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());

        Assert.Equal(content.Split(' ').Length, usage.GetProperty("completion_tokens").GetInt32());
        using var again = await SimTest.PostAsync(client, "chat/completions", body);
        static string WithoutCreated(string s) => System.Text.RegularExpressions.Regex.Replace(s, "\"created\":\\d+", "");
        Assert.Equal(WithoutCreated(text), WithoutCreated(await again.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)));
    }

    [Fact]
    public async Task ChatStream_WithPerTokenLatency_GroupsTokensAndStillCompletes()
    {
        var options = SimTest.Instant();
        options.PerToken = TimeSpan.FromMilliseconds(1);
        options.CompletionTokens = 30;
        options.CompletionDistribution = SimulatorLengthDistribution.Fixed;
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var streamed = await SimTest.PostAsync(client, "chat/completions", """{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}""");
        var text = await streamed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var words = events[..^1].Select(e => JsonDocument.Parse(e[6..]).RootElement.GetProperty("choices")[0].GetProperty("delta"))
            .Select(d => d.TryGetProperty("content", out var s) ? s.GetString() : "").Aggregate("", string.Concat);
        Assert.Equal(30, words.Split(' ').Length);
        Assert.Equal("data: [DONE]", events[^1]);
    }

    [Fact]
    public async Task CompletionsStream_TextChunksEndWithDone()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var streamed = await SimTest.PostAsync(client, "completions", """{"model":"m","prompt":"hi","stream":true}""");
        var text = await streamed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.All(events[..^1], e => Assert.Equal("text_completion", JsonDocument.Parse(e[6..]).RootElement.GetProperty("object").GetString()));
    }
}
