using System.Text;
using System.Text.Json;
using LlmBatch.Providers;
using LlmBatch.Typed;
using Microsoft.Extensions.AI;

namespace LlmBatch.Tests.Typed;

public sealed class ChatJsonRoundTripTests
{
    [Fact]
    public void Write_ConversationWithToolsImagesAndResults_ReadsBackAsTheSameConversation()
    {
        var tool = AIFunctionFactory.Create((string q) => q, "lookup", "Looks a word up.");
        ChatMessage[] messages =
        [
            new(ChatRole.User, [new TextContent("What is this? "), new UriContent("https://example.com/cat.png", "image/png")]) { AuthorName = "ann" },
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", "lookup", new Dictionary<string, object?> { ["q"] = "cat" })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", "a small feline")]),
        ];
        var options = new ChatOptions
        {
            ModelId = "m",
            Instructions = "Be brief.",
            Tools = [tool],
            ToolMode = ChatToolMode.RequireSpecific("lookup"),
            ResponseFormat = ChatResponseFormat.Json,
            TopP = 0.9f,
            AdditionalProperties = new AdditionalPropertiesDictionary { ["user"] = "u-1", ["model"] = "ignored" },
        };

        var body = ChatRequestWriter.Write(messages, options, defaultModel: null);
        var (read, readOptions) = ChatRequestReader.Read(body);

        Assert.Equal([ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.Tool], read.Select(m => m.Role));
        Assert.Equal("Be brief.", read[0].Text);
        Assert.Equal("ann", read[1].AuthorName);
        Assert.Equal(new Uri("https://example.com/cat.png"), Assert.IsType<UriContent>(read[1].Contents[1]).Uri);
        var call = Assert.IsType<FunctionCallContent>(Assert.Single(read[2].Contents));
        Assert.Equal(("call_1", "lookup", "cat"), (call.CallId, call.Name, ((JsonElement)call.Arguments!["q"]!).GetString()));
        Assert.Equal("a small feline", Assert.IsType<FunctionResultContent>(Assert.Single(read[3].Contents)).Result);
        Assert.Equal("m", readOptions.ModelId);
        Assert.Equal(0.9f, readOptions.TopP);
        Assert.Equal("lookup", Assert.Single(readOptions.Tools!).Name);
        Assert.Equal("lookup", Assert.IsType<RequiredChatToolMode>(readOptions.ToolMode).RequiredFunctionName);
        Assert.IsType<ChatResponseFormatJson>(readOptions.ResponseFormat);
        var json = Encoding.UTF8.GetString(body);
        Assert.Contains("\"user\":\"u-1\"", json, StringComparison.Ordinal);
        Assert.Contains("\"top_p\":0.9,", json, StringComparison.Ordinal);
        Assert.DoesNotContain("ignored", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ContentWithNoOpenAIForm_RefusedNamingIt()
    {
        ChatMessage[] messages = [new(ChatRole.User, [new DataContent(new byte[] { 1, 2 }, "application/pdf")])];

        var error = Assert.Throws<NotSupportedException>(() => ChatRequestWriter.Write(messages, null, "m"));

        Assert.Contains("application/pdf", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_CompletionWithToolCallsRefusalAndUsage_AllMapped()
    {
        var body = """
            {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-x","system_fingerprint":"fp",
             "choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,"refusal":"no",
               "tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}}],
             "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}
            """u8.ToArray();

        var response = ChatCompletionReader.Read(body);

        Assert.Equal("chatcmpl-1", response.ResponseId);
        Assert.Equal("gpt-x", response.ModelId);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), response.CreatedAt);
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        var message = Assert.Single(response.Messages);
        var call = Assert.IsType<FunctionCallContent>(message.Contents.Single(c => c is FunctionCallContent));
        Assert.Equal(("c1", "f"), (call.CallId, call.Name));
        Assert.Equal("no", Assert.IsType<ErrorContent>(message.Contents.Single(c => c is ErrorContent)).Message);
        Assert.Equal((10L, 5L, 15L, 4L, 2L), (response.Usage!.InputTokenCount, response.Usage.OutputTokenCount, response.Usage.TotalTokenCount, response.Usage.CachedInputTokenCount, response.Usage.ReasoningTokenCount));
        Assert.Equal("fp", response.AdditionalProperties?["system_fingerprint"]);
    }

    [Fact]
    public void Read_Base64Embedding_DecodedAsLittleEndianFloats()
    {
        var bytes = new byte[8];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), 1.5f);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), -2f);
        var body = Encoding.UTF8.GetBytes($$"""{"object":"list","model":"e","data":[{"index":0,"embedding":"{{Convert.ToBase64String(bytes)}}"}]}""");

        var embedding = EmbeddingResponseReader.Read(body);

        Assert.Equal([1.5f, -2f], embedding.Vector.ToArray());
        Assert.Equal("e", embedding.ModelId);
    }
}
