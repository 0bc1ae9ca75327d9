using System.Net;
using System.Text.Json;

namespace LlmBatch.Simulator.Tests.Endpoints;

public class ValidationTests
{
    [Theory]
    [InlineData("chat/completions", "not json", null, null)]
    [InlineData("chat/completions", "[1,2]", null, null)]
    [InlineData("chat/completions", """{"messages":[{"role":"user","content":"hi"}]}""", null, null)]
    [InlineData("chat/completions", """{"model":"m"}""", "messages", "missing_required_parameter")]
    [InlineData("chat/completions", """{"model":"m","messages":"hi"}""", "messages", "invalid_type")]
    [InlineData("chat/completions", """{"model":"m","messages":[]}""", "messages", "empty_array")]
    [InlineData("chat/completions", """{"model":"m","messages":[{"role":"robot","content":"hi"}]}""", "messages[0].role", "invalid_value")]
    [InlineData("chat/completions", """{"model":"m","messages":[{"role":"user"}]}""", "messages[0].content", "missing_required_parameter")]
    [InlineData("chat/completions", """{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", "max_tokens", "integer_below_min_value")]
    [InlineData("chat/completions", """{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":3}""", "temperature", "decimal_above_max_value")]
    [InlineData("chat/completions", """{"model":"m","messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}""", "stream_options", null)]
    [InlineData("chat/completions", """{"model":"m","messages":[{"role":"user","content":"hi"}],"bogus":1}""", null, null)]
    [InlineData("completions", """{"model":"m"}""", "prompt", "missing_required_parameter")]
    [InlineData("embeddings", """{"model":"m","input":""}""", null, null)]
    [InlineData("embeddings", """{"model":"m","input":[]}""", null, null)]
    [InlineData("embeddings", """{"model":"m","input":{"a":1}}""", "input", "invalid_type")]
    [InlineData("embeddings", """{"model":"m","input":"x","dimensions":0}""", "dimensions", "integer_below_min_value")]
    [InlineData("chat/completions", """{"model":"m\ud83d","messages":[{"role":"user","content":"hi"}]}""", null, null)]
    [InlineData("chat/completions", """{"model":"m","messages":[{"\udc00":"user","content":"hi"}]}""", "messages[0].role", "missing_required_parameter")]
    public async Task InvalidBody_Returns400WithOpenAiErrorShape(string path, string body, string? param, string? code)
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, path, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var error = (await SimTest.JsonAsync(response)).GetProperty("error");
        Assert.Equal(["message", "type", "param", "code"], error.EnumerateObject().Select(p => p.Name));
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, Nullable(error.GetProperty("param")));
        Assert.Equal(code, Nullable(error.GetProperty("code")));
    }

    [Fact]
    public async Task UnknownArgument_MessageNamesIt()
    {
        await using var sim = await SimulatorServer.StartAsync(SimTest.Instant(), TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, "chat/completions", """{"model":"m","messages":[{"role":"user","content":"hi"}],"bogus":1}""");
        var error = (await SimTest.JsonAsync(response)).GetProperty("error");
        Assert.Equal("Unrecognized request argument supplied: bogus", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task ApiKeyRequired_MissingKey_Returns401WithNullCode()
    {
        var options = SimTest.Instant();
        options.ApiKey = "sk-secret";
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = (await SimTest.JsonAsync(response)).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("code").ValueKind);
        Assert.Contains("didn't provide an API key", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task ApiKeyRequired_WrongKey_Returns401InvalidApiKeyWithoutEchoingIt()
    {
        var options = SimTest.Instant();
        options.ApiKey = "sk-secret";
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var response = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat, key: "sk-wrong-key");
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_api_key", JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.DoesNotContain("sk-wrong-key", text);
    }

    [Fact]
    public async Task ApiKeyRequired_RightKeyAsBearerOrApiKeyHeader_Returns200()
    {
        var options = SimTest.Instant();
        options.ApiKey = "sk-secret";
        await using var sim = await SimulatorServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = SimTest.Client(sim);
        using var bearer = await SimTest.PostAsync(client, "chat/completions", SimTest.Chat, key: "sk-secret");
        using var azure = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = new StringContent(SimTest.Chat) };
        azure.Headers.Add("api-key", "sk-secret");
        using var azureResponse = await client.SendAsync(azure, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, azureResponse.StatusCode);
    }

    private static string? Nullable(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetString();
}
