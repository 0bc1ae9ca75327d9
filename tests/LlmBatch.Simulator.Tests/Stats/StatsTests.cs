using System.Net;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.RateLimiting;

namespace LlmBatch.Simulator.Tests.Stats;

public class StatsTests
{
    [Fact]
    public async Task GetStats_CountsByEndpointStatusDuplicatesAndTokens()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        const string body = """{"model":"m","max_tokens":40,"messages":[{"role":"user","content":"Say hello"}]}""";
        for (var i = 0; i < 3; i++)
        {
            (await SimTest.PostAsync(client, "chat/completions", body)).Dispose();
        }

        (await SimTest.PostAsync(client, "chat/completions", body, key: "other-key")).Dispose();
        (await SimTest.PostAsync(client, "chat/completions", "{}")).Dispose();
        (await SimTest.PostAsync(client, "embeddings", """{"model":"e","input":"x"}""")).Dispose();

        var stats = sim.GetStats();
        var prompt = TokenCounter.Shared.CountPromptTokens(BatchRequest.Create("x", "/v1/chat/completions", body));
        var embedPrompt = TokenCounter.Shared.CountPromptTokens(BatchRequest.Create("x", "/v1/embeddings", """{"model":"e","input":"x"}"""));
        Assert.Equal(6, stats.TotalRequests);
        Assert.Equal(4, stats.Requests["/v1/chat/completions"][200]);
        Assert.Equal(1, stats.Requests["/v1/chat/completions"][400]);
        Assert.Equal(1, stats.Requests["/v1/embeddings"][200]);
        Assert.Equal(2, stats.DuplicateSuccesses);
        Assert.Equal((4 * (prompt + 40)) + embedPrompt, stats.TokensAdmitted);
        Assert.Equal((4 * prompt) + embedPrompt, stats.PromptTokens);
        Assert.True(stats.MaxInFlight >= 1);
    }

    [Fact]
    public async Task StatsEndpoint_JsonMatchesGetStats_ResetZeroes()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var root = new HttpClient { BaseAddress = new Uri($"http://{sim.BaseUrl.Authority}/") };
        (await SimTest.PostAsync(client, "chat/completions", SimTest.Chat)).Dispose();
        (await SimTest.PostAsync(client, "chat/completions", SimTest.Chat)).Dispose();

        var json = JsonDocument.Parse(await root.GetStringAsync("stats", TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(2, json.GetProperty("total_requests").GetInt64());
        Assert.Equal(2, json.GetProperty("requests").GetProperty("/v1/chat/completions").GetProperty("200").GetInt64());
        Assert.Equal(1, json.GetProperty("duplicate_successes").GetInt64());
        Assert.Equal(0, json.GetProperty("faults").GetProperty("500").GetInt64());
        Assert.Equal(0, json.GetProperty("rate_limited").GetProperty("tokens").GetInt64());

        using var reset = await root.PostAsync("stats/reset", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        var after = sim.GetStats();
        Assert.Equal(0, after.TotalRequests);
        Assert.Equal(0, after.DuplicateSuccesses);

        (await SimTest.PostAsync(client, "chat/completions", SimTest.Chat)).Dispose();
        Assert.Equal(0, sim.GetStats().DuplicateSuccesses);
        sim.ResetStats();
        Assert.Equal(0, sim.GetStats().TotalRequests);
    }
}
