using System.ClientModel;
using System.Net;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Providers;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.Providers;

public sealed class ChatClientBatchHandlerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static BatchCall Call(string body, string url = "/v1/chat/completions") => new(BatchRequest.Create("c1", url, body)) { Attempt = 1 };

    private static ChatResponse Answer(string text = "Hello!") => new(new ChatMessage(ChatRole.Assistant, text));

    [Fact]
    public async Task SendAsync_Messages_MappedWithRolesAndContent()
    {
        var client = new FakeChatClient(Answer());
        var handler = new ChatClientBatchHandler(client);
        var body = """
            {"model":"m","messages":[
              {"role":"system","content":"Be brief."},
              {"role":"developer","content":"Answer in English."},
              {"role":"user","name":"ann","content":[{"type":"text","text":"What is "},{"type":"text","text":"this?"},{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"cat\",\"n\":2}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"a small feline"},
              {"role":"assistant","content":"It is a cat."}
            ]}
            """;

        var response = await handler.SendAsync(Call(body), Ct);

        Assert.Equal(200, response.StatusCode);
        var messages = Assert.Single(client.Calls).Messages;
        Assert.Equal([ChatRole.System, ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant], messages.Select(m => m.Role));
        Assert.Equal("Be brief.", messages[0].Text);
        Assert.Equal("Answer in English.", messages[1].Text);
        Assert.Equal("What is this?", messages[2].Text);
        Assert.Equal("ann", messages[2].AuthorName);
        var image = Assert.IsType<UriContent>(messages[2].Contents[2]);
        Assert.Equal(new Uri("https://example.com/cat.png"), image.Uri);
        var call = Assert.IsType<FunctionCallContent>(Assert.Single(messages[3].Contents));
        Assert.Equal("call_1", call.CallId);
        Assert.Equal("lookup", call.Name);
        Assert.Equal("cat", ((JsonElement)call.Arguments!["q"]!).GetString());
        Assert.Equal(2, ((JsonElement)call.Arguments!["n"]!).GetInt32());
        var result = Assert.IsType<FunctionResultContent>(Assert.Single(messages[4].Contents));
        Assert.Equal("call_1", result.CallId);
        Assert.Equal("a small feline", result.Result);
        Assert.Equal("It is a cat.", messages[5].Text);
    }

    [Fact]
    public async Task SendAsync_Options_MappedFromBody()
    {
        var client = new FakeChatClient(Answer());
        var handler = new ChatClientBatchHandler(client);
        var body = """
            {"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],
             "temperature":0.25,"top_p":0.9,"max_tokens":50,"max_completion_tokens":64,"stop":["END","STOP"],"seed":12345678901,
             "frequency_penalty":0.5,"presence_penalty":-0.5,"user":"ignored","response_format":{"type":"json_object"}}
            """;

        await handler.SendAsync(Call(body), Ct);

        var options = Assert.Single(client.Calls).Options!;
        Assert.Equal("gpt-4o-mini", options.ModelId);
        Assert.Equal(0.25f, options.Temperature);
        Assert.Equal(0.9f, options.TopP);
        Assert.Equal(64, options.MaxOutputTokens);
        Assert.Equal(["END", "STOP"], options.StopSequences!);
        Assert.Equal(12345678901L, options.Seed);
        Assert.Equal(0.5f, options.FrequencyPenalty);
        Assert.Equal(-0.5f, options.PresencePenalty);
        var format = Assert.IsType<ChatResponseFormatJson>(options.ResponseFormat);
        Assert.Null(format.Schema);
    }

    [Fact]
    public async Task SendAsync_MaxTokensAndSingleStop_Mapped()
    {
        var client = new FakeChatClient(Answer());
        var handler = new ChatClientBatchHandler(client);

        await handler.SendAsync(Call("""{"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":7,"stop":"\n"}"""), Ct);

        var options = Assert.Single(client.Calls).Options!;
        Assert.Equal(7, options.MaxOutputTokens);
        Assert.Equal(["\n"], options.StopSequences!);
        Assert.Null(options.Temperature);
        Assert.Null(options.ResponseFormat);
    }

    [Fact]
    public async Task SendAsync_JsonSchemaResponseFormat_MappedWithSchemaAndName()
    {
        var client = new FakeChatClient(Answer("{}"));
        var handler = new ChatClientBatchHandler(client);
        var body = """
            {"model":"m","messages":[{"role":"user","content":"Hi"}],
             "response_format":{"type":"json_schema","json_schema":{"name":"person","description":"A person","strict":true,
               "schema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}}}}
            """;

        await handler.SendAsync(Call(body), Ct);

        var format = Assert.IsType<ChatResponseFormatJson>(Assert.Single(client.Calls).Options!.ResponseFormat);
        Assert.Equal("person", format.SchemaName);
        Assert.Equal("A person", format.SchemaDescription);
        Assert.Equal("string", format.Schema!.Value.GetProperty("properties").GetProperty("name").GetProperty("type").GetString());
    }

    [Fact]
    public async Task SendAsync_ToolsAndToolChoice_Mapped()
    {
        var client = new FakeChatClient(Answer());
        var handler = new ChatClientBatchHandler(client);
        var body = """
            {"model":"m","messages":[{"role":"user","content":"Weather?"}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
             "tool_choice":{"type":"function","function":{"name":"get_weather"}},"parallel_tool_calls":false}
            """;

        await handler.SendAsync(Call(body), Ct);

        var options = Assert.Single(client.Calls).Options!;
        var tool = Assert.IsAssignableFrom<AIFunctionDeclaration>(Assert.Single(options.Tools!));
        Assert.Equal("get_weather", tool.Name);
        Assert.Equal("Weather for a city", tool.Description);
        Assert.Equal("string", tool.JsonSchema.GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        var mode = Assert.IsType<RequiredChatToolMode>(options.ToolMode);
        Assert.Equal("get_weather", mode.RequiredFunctionName);
        Assert.False(options.AllowMultipleToolCalls);
    }

    [Fact]
    public async Task SendAsync_Answer_WrittenAsChatCompletionJson()
    {
        var answer = new ChatResponse(new ChatMessage(ChatRole.Assistant, "Hello, \"world\" \u00e9!"))
        {
            ResponseId = "chatcmpl-xyz",
            ModelId = "gpt-4o-mini-2024-07-18",
            CreatedAt = DateTimeOffset.FromUnixTimeSeconds(1_764_000_000),
            FinishReason = ChatFinishReason.Length,
            Usage = new UsageDetails { InputTokenCount = 9, OutputTokenCount = 12, TotalTokenCount = 21, CachedInputTokenCount = 4 },
        };
        var handler = new ChatClientBatchHandler(new FakeChatClient(answer));

        var response = await handler.SendAsync(Call("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}"""), Ct);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("chatcmpl-xyz", response.RequestId);
        using var json = JsonDocument.Parse(response.Body);
        var root = json.RootElement;
        Assert.Equal("chatcmpl-xyz", root.GetProperty("id").GetString());
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.Equal(1_764_000_000, root.GetProperty("created").GetInt64());
        Assert.Equal("gpt-4o-mini-2024-07-18", root.GetProperty("model").GetString());
        var choice = Assert.Single(root.GetProperty("choices").EnumerateArray().ToList());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("Hello, \"world\" \u00e9!", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var usage = root.GetProperty("usage");
        Assert.Equal(9, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(12, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(21, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(4, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }

    [Fact]
    public async Task SendAsync_AnswerWithoutMetadata_UsesRequestModelClockAndNoUsage()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var handler = new ChatClientBatchHandler(new FakeChatClient(Answer("ok")), time);

        var response = await handler.SendAsync(Call("""{"model":"llama3","messages":[{"role":"user","content":"Hi"}]}"""), Ct);

        using var json = JsonDocument.Parse(response.Body);
        var root = json.RootElement;
        Assert.StartsWith("chatcmpl-", root.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal(1_800_000_000, root.GetProperty("created").GetInt64());
        Assert.Equal("llama3", root.GetProperty("model").GetString());
        Assert.Equal("stop", root.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.False(root.TryGetProperty("usage", out _));
    }

    [Fact]
    public async Task SendAsync_AnswerWithFunctionCall_WritesToolCalls()
    {
        var answer = new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call_9", "get_weather", new Dictionary<string, object?> { ["city"] = "Paris" })]));
        var handler = new ChatClientBatchHandler(new FakeChatClient(answer));

        var response = await handler.SendAsync(Call("""{"model":"m","messages":[{"role":"user","content":"Weather?"}]}"""), Ct);

        using var json = JsonDocument.Parse(response.Body);
        var choice = json.RootElement.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray().ToList());
        Assert.Equal("call_9", call.GetProperty("id").GetString());
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        using var args = JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!);
        Assert.Equal("Paris", args.RootElement.GetProperty("city").GetString());
    }

    [Theory]
    [InlineData("stop", "stop")]
    [InlineData("length", "length")]
    [InlineData("tool_calls", "tool_calls")]
    [InlineData("content_filter", "content_filter")]
    [InlineData("custom_reason", "custom_reason")]
    public void FinishReason_Mapped(string value, string expected)
    {
        Assert.Equal(expected, ChatCompletionWriter.FinishReason(new ChatFinishReason(value), hasToolCalls: false));
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, "rate_limit_error")]
    [InlineData(HttpStatusCode.BadRequest, "invalid_request_error")]
    [InlineData(HttpStatusCode.Unauthorized, "authentication_error")]
    [InlineData(HttpStatusCode.ServiceUnavailable, "server_error")]
    public async Task SendAsync_HttpRequestExceptionWithStatus_BecomesResponse(HttpStatusCode status, string type)
    {
        var client = new FakeChatClient((_, _, _) => throw new HttpRequestException("upstream said no", null, status));
        var handler = new ChatClientBatchHandler(client);

        var response = await handler.SendAsync(Call("""{"model":"m","messages":[{"role":"user","content":"Hi"}]}"""), Ct);

        Assert.Equal((int)status, response.StatusCode);
        using var json = JsonDocument.Parse(response.Body);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("upstream said no", error.GetProperty("message").GetString());
        Assert.Equal(type, error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task SendAsync_ClientResultExceptionWithStatus_BecomesResponse()
    {
        var client = new FakeChatClient((_, _, _) => throw new ClientResultException("Service request failed. Status: 429", 429));
        var handler = new ChatClientBatchHandler(client);

        var response = await handler.SendAsync(Call("""{"model":"m","messages":[{"role":"user","content":"Hi"}]}"""), Ct);

        Assert.Equal(429, response.StatusCode);
    }

    [Fact]
    public async Task SendAsync_ExceptionWithoutStatus_Propagates()
    {
        var client = new FakeChatClient((_, _, _) => throw new HttpRequestException("connection refused"));
        var handler = new ChatClientBatchHandler(client);

        await Assert.ThrowsAsync<HttpRequestException>(async () => await handler.SendAsync(Call("""{"model":"m","messages":[{"role":"user","content":"Hi"}]}"""), Ct));
    }

    [Fact]
    public async Task SendAsync_Cancelled_PropagatesCancellation()
    {
        var client = new FakeChatClient(async (_, _, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return Answer();
        });
        var handler = new ChatClientBatchHandler(client);
        using var cts = new CancellationTokenSource();

        var send = handler.SendAsync(Call("""{"model":"m","messages":[{"role":"user","content":"Hi"}]}"""), cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
    }

    [Theory]
    [InlineData("/v1/embeddings", """{"model":"e","input":"x"}""")]
    [InlineData("/v1/responses", """{"model":"m","input":"x"}""")]
    [InlineData("/v1/completions", """{"model":"m","prompt":"x"}""")]
    public async Task SendAsync_OtherEndpoint_Returns400UnsupportedEndpoint(string url, string body)
    {
        var client = new FakeChatClient(Answer());
        var handler = new ChatClientBatchHandler(client);

        var response = await handler.SendAsync(Call(body, url), Ct);

        Assert.Equal(400, response.StatusCode);
        Assert.Empty(client.Calls);
        using var json = JsonDocument.Parse(response.Body);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("unsupported_endpoint", error.GetProperty("code").GetString());
        Assert.Contains(url, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"wizard","content":"Hi"}]}""", "messages[0].role")]
    [InlineData("""{"model":"m"}""", "messages")]
    [InlineData("""{"model":"m","messages":[]}""", "messages")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"Hi"}],"n":2}""", "n")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"Hi"}],"temperature":"hot"}""", "temperature")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{}}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model":"m","messages":[{"role":"tool","content":"x"}]}""", "messages[0].tool_call_id")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"yaml"}}""", "response_format.type")]
    public async Task SendAsync_UnservableBody_Returns400NamingField(string body, string param)
    {
        var client = new FakeChatClient(Answer());
        var handler = new ChatClientBatchHandler(client);

        var response = await handler.SendAsync(Call(body), Ct);

        Assert.Equal(400, response.StatusCode);
        Assert.Empty(client.Calls);
        using var json = JsonDocument.Parse(response.Body);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.StartsWith(param + ":", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
