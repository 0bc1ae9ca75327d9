using System.Net;

namespace LlmBatch.Simulator.Tests;

public class SimulatorServerTests
{
    [Fact]
    public async Task StartAsync_FreePort_BaseUrlEndsInV1OnLoopback()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        Assert.Equal("127.0.0.1", sim.BaseUrl.Host);
        Assert.NotEqual(0, sim.BaseUrl.Port);
        Assert.EndsWith("/v1", sim.BaseUrl.AbsolutePath);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_ThrowsListingEveryProblem()
    {
        var options = new SimulatorOptions { Port = -1, P500 = 2, CompletionTokens = 0 };
        var ex = await Assert.ThrowsAsync<BatchOptionsException>(() => SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken));
        Assert.Contains(ex.Problems, p => p.Contains("Port"));
        Assert.Contains(ex.Problems, p => p.Contains("P500"));
        Assert.Contains(ex.Problems, p => p.Contains("CompletionTokens"));
    }

    [Fact]
    public async Task Models_Get_ListsConfiguredModels()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await client.GetAsync("models", TestContext.Current.CancellationToken);
        var json = await SimTest.JsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("list", json.GetProperty("object").GetString());
        Assert.Equal("gpt-4o-mini", json.GetProperty("data")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task UnknownPath_Post_Returns404WithOpenAiError()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, "nope", "{}");
        var json = await SimTest.JsonAsync(response);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Invalid URL (POST /v1/nope)", json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task EveryResponse_HasUniqueRequestId()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var a = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        using var b = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        using var c = await SimTest.PostAsync(client, "chat/completions", "{}");
        var ids = new[] { SimTest.Header(a, "x-request-id"), SimTest.Header(b, "x-request-id"), SimTest.Header(c, "x-request-id") };
        Assert.All(ids, id => Assert.StartsWith("req_", id));
        Assert.Equal(3, ids.Distinct().Count());
    }

    [Fact]
    public async Task DisposeAsync_WhileRequestHangs_StopsPromptlyAndReleasesPort()
    {
        var options = SimTest.Instant();
        options.PHang = 1;
        options.HangDuration = TimeSpan.FromHours(1);
        var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        var pending = SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        while (sim.GetStats().MaxInFlight == 0)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        await sim.DisposeAsync();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => pending);
    }
}
