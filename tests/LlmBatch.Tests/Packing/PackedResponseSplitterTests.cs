using System.Text;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Packing;

namespace LlmBatch.Tests.Packing;

public class PackedResponseSplitterTests
{
    private static EmbeddingPack Pack(params int[] tokens)
    {
        var pack = new EmbeddingPack(Encoding.UTF8.GetBytes("\"model\":\"m\""), "m");
        for (var i = 0; i < tokens.Length; i++)
        {
            var request = BatchRequest.Create($"id{i}", "/v1/embeddings", $$"""{"model":"m","input":"text {{i}}"}""");
            pack.Add(new PackMember(request, Encoding.UTF8.GetBytes($"\"text {i}\""), tokens[i]));
        }

        return pack;
    }

    [Fact]
    public void Split_DataOutOfOrder_EachMemberGetsItsOwnVectorAsIfSentAlone()
    {
        var body = """{"object":"list","data":[{"object":"embedding","index":2,"embedding":[3.5,3]},{"object":"embedding","index":0,"embedding":[1.25,1]},{"object":"embedding","index":1,"embedding":"AAAAQA=="}],"model":"m-001","usage":{"prompt_tokens":60,"total_tokens":60}}"""u8;

        var parts = PackedResponseSplitter.Split(Pack(10, 20, 30), body, 60);

        Assert.Equal(3, parts.Length);
        using var first = JsonDocument.Parse(parts[0].Body);
        Assert.Equal("list", first.RootElement.GetProperty("object").GetString());
        var item = Assert.Single(first.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(0, item.GetProperty("index").GetInt32());
        Assert.Equal("[1.25,1]", item.GetProperty("embedding").GetRawText());
        Assert.Equal("m-001", first.RootElement.GetProperty("model").GetString());
        Assert.Equal(10, first.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        using var second = JsonDocument.Parse(parts[1].Body);
        Assert.Equal("AAAAQA==", second.RootElement.GetProperty("data")[0].GetProperty("embedding").GetString());
        using var third = JsonDocument.Parse(parts[2].Body);
        Assert.Equal("[3.5,3]", third.RootElement.GetProperty("data")[0].GetProperty("embedding").GetRawText());
        Assert.Equal([10, 20, 30], parts.Select(p => p.PromptTokens));
    }

    [Fact]
    public void Split_VectorMissing_ThatMemberGetsNoBody()
    {
        var body = """{"data":[{"index":0,"embedding":[1]}],"usage":{"prompt_tokens":2}}"""u8;
        var parts = PackedResponseSplitter.Split(Pack(1, 1), body, 2);
        Assert.NotEmpty(parts[0].Body);
        Assert.Empty(parts[1].Body);
    }

    [Theory]
    [InlineData(new[] { 10, 20, 30 }, 61)]
    [InlineData(new[] { 1, 1, 1 }, 100)]
    [InlineData(new[] { 0, 0, 0, 0 }, 7)]
    [InlineData(new[] { 5, 3 }, 0)]
    public void Shares_AnyTotal_AddUpExactlyAndFollowTheLocalCounts(int[] counts, int total)
    {
        var shares = PackedResponseSplitter.Shares(Pack(counts), total);
        Assert.Equal(total, shares.Sum());
        for (var i = 1; i < counts.Length; i++)
        {
            if (counts[i] > counts[i - 1])
            {
                Assert.True(shares[i] >= shares[i - 1]);
            }
        }
    }

    [Fact]
    public void Shares_NoReportedUsage_LocalCounts() =>
        Assert.Equal([4, 9], PackedResponseSplitter.Shares(Pack(4, 9), -1));
}
