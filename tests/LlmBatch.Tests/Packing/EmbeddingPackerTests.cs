using System.Text;
using LlmBatch.Input;
using LlmBatch.Packing;
using LlmBatch.RateLimiting;

namespace LlmBatch.Tests.Packing;

public class EmbeddingPackerTests
{
    private static BatchRequest Embedding(string id, string input = "\"hello\"", string extra = "") =>
        BatchRequest.Create(id, "/v1/embeddings", $$"""{"model":"text-embedding-3-small"{{extra}},"input":{{input}}}""");

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    [Theory]
    [InlineData("""{"model":"m","input":"one text"}""", true, "\"one text\"", "\"model\":\"m\"")]
    [InlineData("""{"input":[1,2,3],"model":"m","dimensions":256}""", true, "[1,2,3]", "\"model\":\"m\",\"dimensions\":256")]
    [InlineData("""{"model":"m","input":["a","b"]}""", false, "", "")]
    [InlineData("""{"model":"m","input":[[1,2],[3]]}""", false, "", "")]
    [InlineData("""{"model":"m"}""", false, "", "")]
    [InlineData("""{"model":"m","input":[]}""", false, "", "")]
    public void TrySplit_Bodies_OneInputPackableManyNot(string body, bool packable, string input, string shared)
    {
        Assert.Equal(packable, EmbeddingPacker.TrySplit(Encoding.UTF8.GetBytes(body), out var sharedBytes, out var inputBytes));
        if (packable)
        {
            Assert.Equal(input, Text(inputBytes));
            Assert.Equal(shared, Text(sharedBytes));
        }
    }

    [Fact]
    public void TryAdd_SameFields_GathersUntilFullThenHandsThePackOver()
    {
        var packer = new EmbeddingPacker(new PackingOptions(3, 1_000_000), TokenCounter.Shared);
        Assert.True(packer.TryAdd(Embedding("a"), out var ready));
        Assert.Null(ready);
        Assert.True(packer.TryAdd(Embedding("b"), out ready));
        Assert.Null(ready);
        Assert.True(packer.TryAdd(Embedding("c"), out ready));
        Assert.Equal(["a", "b", "c"], ready!.Members.Select(m => m.Request.CustomId));
        Assert.False(packer.HasPending);

        var request = ready.ToRequest();
        Assert.Equal(BatchEndpointKind.Embeddings, request.Endpoint);
        Assert.Equal("""{"model":"text-embedding-3-small","input":["hello","hello","hello"]}""", Text(request.Body));
    }

    [Fact]
    public void TryAdd_OtherFields_ClosesThePackAndStartsAnother()
    {
        var packer = new EmbeddingPacker(new PackingOptions(100, 1_000_000), TokenCounter.Shared);
        packer.TryAdd(Embedding("a"), out _);
        Assert.True(packer.TryAdd(Embedding("b", extra: ",\"dimensions\":256"), out var ready));
        Assert.Equal("a", Assert.Single(ready!.Members).Request.CustomId);
        Assert.Equal("b", Assert.Single(packer.TakePending()!.Members).Request.CustomId);
        Assert.Null(packer.TakePending());
    }

    [Fact]
    public void TryAdd_TokenLimit_ClosesThePackBeforeItWouldPassIt()
    {
        var words = string.Join(' ', Enumerable.Repeat("word", 100));
        var packer = new EmbeddingPacker(new PackingOptions(100, 250), TokenCounter.Shared);
        packer.TryAdd(Embedding("a", $"\"{words}\""), out var ready);
        Assert.Null(ready);
        packer.TryAdd(Embedding("b", $"\"{words}\""), out ready);
        Assert.Null(ready);
        packer.TryAdd(Embedding("c", $"\"{words}\""), out ready);
        Assert.Equal(2, ready!.Members.Count);
    }

    [Fact]
    public void TryAdd_ChatOrManyInputs_NotPackable()
    {
        var packer = new EmbeddingPacker(new PackingOptions(100, 1_000_000), TokenCounter.Shared);
        Assert.False(packer.TryAdd(BatchRequest.Create("c", "/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"hi"}]}"""), out _));
        Assert.False(packer.TryAdd(Embedding("e", "[\"a\",\"b\"]"), out _));
        Assert.False(packer.HasPending);
    }
}
