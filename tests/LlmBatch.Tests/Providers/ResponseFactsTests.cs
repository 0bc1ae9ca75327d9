using System.Text;
using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.Tests.Providers;

public sealed class ResponseFactsTests
{
    private const string Chat = """{"choices":[{"index":0}],"usage":{"prompt_tokens":41,"completion_tokens":37,"prompt_tokens_details":{"cached_tokens":8}}}""";

    [Fact]
    public void Read_ChatBody_GivesUsageAndShapeInOnePass()
    {
        var facts = ResponseFacts.Read(Encoding.UTF8.GetBytes(Chat));

        Assert.True(facts.UsageReported);
        Assert.Equal((41, 37, 8), (facts.PromptTokens, facts.CompletionTokens, facts.CachedPromptTokens));
        Assert.True(facts.HasShapeOf(BatchEndpointKind.ChatCompletions));
        Assert.False(facts.HasShapeOf(BatchEndpointKind.Embeddings));
    }

    [Theory]
    [InlineData("""{"choices":[{"index":0}],"usage":{"prompt_tokens":3,"completion_tokens":4}""", true)]
    [InlineData("""{"choices":[{"index":0}],"usage":{"prompt_tokens":3,"completion_tokens":4}} trailing""", true)]
    [InlineData("""{"choices":[{"index":0}],"choices":[{"index":1}],"usage":{"prompt_tokens":3,"completion_tokens":4}}""", true)]
    [InlineData("""{"choices":[1],"usage":{"prompt_tokens":3,"completion_tokens":4}}""", true)]
    [InlineData("""{"choices":[{"index":0}]}""", false)]
    public void Read_BrokenOrMissingShape_KeepsTheUsageButNoShape(string body, bool usage)
    {
        var facts = ResponseFacts.Read(Encoding.UTF8.GetBytes(body));

        Assert.Equal(usage, facts.UsageReported);
        Assert.Equal(body == """{"choices":[{"index":0}]}""", facts.HasShapeOf(BatchEndpointKind.ChatCompletions));
    }

    [Fact]
    public void Read_NotJson_HasNothing()
    {
        var facts = ResponseFacts.Read("<html>busy</html>"u8);

        Assert.False(facts.UsageReported);
        Assert.False(facts.HasShapeOf(BatchEndpointKind.ChatCompletions));
        Assert.Equal(0, facts.PromptTokens);
    }

    [Fact]
    public void Facts_ReadTwice_GivesTheSameFacts()
    {
        var response = new BatchResponse { StatusCode = 200, Body = Encoding.UTF8.GetBytes(Chat) };

        var first = response.Facts;
        var second = response.Facts;

        Assert.Equal(first, second);
        Assert.True(response.IsValidSuccess(BatchEndpointKind.ChatCompletions));
        Assert.False(new BatchResponse { StatusCode = 500, Body = Encoding.UTF8.GetBytes(Chat) }.IsValidSuccess(BatchEndpointKind.ChatCompletions));
    }
}
