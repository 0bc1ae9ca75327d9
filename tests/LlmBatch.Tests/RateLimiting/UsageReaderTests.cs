using System.Text;
using LlmBatch.RateLimiting;

namespace LlmBatch.Tests.RateLimiting;

public class UsageReaderTests
{
    private static bool Read(string json, out int prompt, out int completion) =>
        UsageReader.TryRead(Encoding.UTF8.GetBytes(json), out prompt, out completion);

    [Fact]
    public void TryRead_ChatCompletion_ReadsPromptAndCompletion()
    {
        const string body = """
            {"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant",
            "content":"{\"usage\":{\"prompt_tokens\":999}}"},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,
            "prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},
            "system_fingerprint":null}
            """;

        Assert.True(Read(body, out var prompt, out var completion));
        Assert.Equal(19, prompt);
        Assert.Equal(10, completion);
    }

    [Fact]
    public void TryRead_Embeddings_ReadsPromptAndNoCompletion()
    {
        const string body = """{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}""";

        Assert.True(Read(body, out var prompt, out var completion));
        Assert.Equal(8, prompt);
        Assert.Equal(0, completion);
    }

    [Fact]
    public void TryRead_Responses_ReadsInputAndOutputTokens()
    {
        const string body = """{"id":"resp_1","object":"response","output":[{"type":"message","content":[{"type":"output_text","text":"hi"}]}],"usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":0},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":123}}""";

        Assert.True(Read(body, out var prompt, out var completion));
        Assert.Equal(36, prompt);
        Assert.Equal(87, completion);
    }

    [Fact]
    public void TryRead_OnlyTotal_CountsItAsPrompt()
    {
        Assert.True(Read("""{"usage":{"total_tokens":42}}""", out var prompt, out var completion));
        Assert.Equal(42, prompt);
        Assert.Equal(0, completion);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"usage\":{\"prompt_tokens\":")]
    [InlineData("{\"choices\":[]}")]
    [InlineData("{\"usage\":null}")]
    [InlineData("{\"usage\":{\"prompt_tokens\":\"ten\"}}")]
    [InlineData("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}")]
    public void TryRead_GarbageOrNoUsage_ReturnsFalse(string body)
    {
        Assert.False(Read(body, out var prompt, out var completion));
        Assert.Equal(0, prompt);
        Assert.Equal(0, completion);
    }
}
