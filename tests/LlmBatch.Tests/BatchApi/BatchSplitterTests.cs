using System.Text;
using System.Text.Json;
using LlmBatch.BatchApi;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch.Tests.BatchApi;

public class BatchSplitterTests
{
    private static readonly BatchApiUrls OpenAi = new(new Uri("https://api.openai.com/v1"));

    private static BatchRequest Chat(int i, string model = "gpt-4o-mini") =>
        new($"id-{i:D4}", BatchEndpointKind.ChatCompletions, "/v1/chat/completions",
            Encoding.UTF8.GetBytes($$"""{"model":"{{model}}","messages":[{"role":"user","content":"item {{i:D4}}"}],"max_tokens":8}"""), model, 8, i + 1);

    private static BatchRequest Embedding(int i, int inputs) =>
        new($"e-{i}", BatchEndpointKind.Embeddings, "/v1/embeddings",
            Encoding.UTF8.GetBytes($$"""{"model":"text-embedding-3-small","input":[{{string.Join(",", Enumerable.Repeat("\"x\"", inputs))}}]}"""), "text-embedding-3-small", null, i + 1);

    private static async Task<List<BatchChunkState>> SplitAsync(TempDir dir, IEnumerable<BatchRequest> requests, BatchFileLimits limits, BatchApiUrls? urls = null) =>
        await new BatchSplitter(dir.Path, urls ?? OpenAi, limits, "lbjob", 256).SplitAsync(requests.ToAsyncEnumerable(), 1, 1, TestContext.Current.CancellationToken);

    [Fact]
    public async Task SplitAsync_MoreRequestsThanTheCountLimit_FilesOfAtMostTheLimit()
    {
        using var dir = new TempDir();
        var chunks = await SplitAsync(dir, Enumerable.Range(0, 250).Select(i => Chat(i)), new BatchFileLimits(100, 200_000_000, 50_000));

        Assert.Equal([100, 100, 50], chunks.Select(c => c.Requests));
        Assert.Equal([1, 2, 3], chunks.Select(c => c.Index));
        Assert.Equal("llmbatch-lbjob-0002.jsonl", chunks[1].UploadName);
        var lines = File.ReadAllLines(Path.Combine(dir.Path, chunks[1].File));
        Assert.Equal(100, lines.Length);
        Assert.Equal(chunks[1].Bytes, new FileInfo(Path.Combine(dir.Path, chunks[1].File)).Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal("id-0100", first.RootElement.GetProperty("custom_id").GetString());
        Assert.Equal("POST", first.RootElement.GetProperty("method").GetString());
        Assert.Equal("/v1/chat/completions", first.RootElement.GetProperty("url").GetString());
        Assert.Equal(Encoding.UTF8.GetString(Chat(100).Body.Span), first.RootElement.GetProperty("body").GetRawText());
        Assert.Equal(100L * 8, chunks[1].CompletionTokens);
        Assert.True(chunks[1].PromptTokens > 100);
    }

    [Fact]
    public async Task SplitAsync_LinesPastTheByteLimit_FileClosedBeforeTheLineThatWouldPassIt()
    {
        using var dir = new TempDir();
        var lineBytes = (await SplitAsync(dir, [Chat(0)], new BatchFileLimits(100, 200_000_000, 50_000)))[0].Bytes;
        using var dir2 = new TempDir();

        // Room for three lines and a half: every file holds three.
        var chunks = await SplitAsync(dir2, Enumerable.Range(0, 10).Select(i => Chat(i)), new BatchFileLimits(100, (lineBytes * 7) / 2, 50_000));

        Assert.Equal([3, 3, 3, 1], chunks.Select(c => c.Requests));
        Assert.All(chunks, c => Assert.True(c.Bytes <= (lineBytes * 7) / 2));
    }

    [Fact]
    public async Task SplitAsync_SeveralModelsAndEndpoints_OneFileEachAndMembersWithTheirInputLines()
    {
        using var dir = new TempDir();
        BatchRequest[] requests = [Chat(0), Chat(1, "gpt-4o"), Embedding(2, 1), Chat(3), Chat(4, "gpt-4o")];

        var chunks = await SplitAsync(dir, requests, new BatchFileLimits(100, 200_000_000, 50_000));

        Assert.Equal(3, chunks.Count);
        Assert.Equal(["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"], chunks.Select(c => c.Model));
        Assert.Equal(BatchEndpointKind.Embeddings, chunks[2].Kind);
        var members = new Dictionary<UInt128, long>();
        Assert.True(await ChunkMembers.ReadAsync(ChunkMembers.PathFor(Path.Combine(dir.Path, chunks[1].File)), (h, l) => members[h] = l, TestContext.Current.CancellationToken));
        Assert.Equal(new Dictionary<UInt128, long> { [CustomIdHash.Key("id-0001")] = 2, [CustomIdHash.Key("id-0004")] = 5 }, members);
    }

    [Fact]
    public async Task SplitAsync_EmbeddingInputs_EachArrayElementCountsAgainstTheLimit()
    {
        using var dir = new TempDir();
        var chunks = await SplitAsync(dir, Enumerable.Range(0, 5).Select(i => Embedding(i, 4)), new BatchFileLimits(100, 200_000_000, 10));

        Assert.Equal([2, 2, 1], chunks.Select(c => c.Requests));
        Assert.All(chunks, c => Assert.Equal(0, c.CompletionTokens));
    }

    [Fact]
    public async Task SplitAsync_AzureDatedApi_LinesNameTheEndpointWithoutV1()
    {
        using var dir = new TempDir();
        var azure = new BatchApiUrls(new Uri("https://name.openai.azure.com/openai?api-version=2024-10-21"));

        var chunks = await SplitAsync(dir, [Chat(0)], new BatchFileLimits(100, 200_000_000, 50_000), azure);

        using var line = JsonDocument.Parse(File.ReadAllLines(Path.Combine(dir.Path, chunks[0].File))[0]);
        Assert.Equal("/chat/completions", line.RootElement.GetProperty("url").GetString());
    }

    [Theory]
    [InlineData("""{"model":"m","input":"one"}""", 1)]
    [InlineData("""{"model":"m","input":["a","b","c"]}""", 3)]
    [InlineData("""{"model":"m","input":[1,2,3]}""", 1)]
    [InlineData("""{"model":"m","input":[[1,2],[3]]}""", 2)]
    [InlineData("""{"input":[],"model":"m"}""", 0)]
    public void EmbeddingInputs_Count_AsTheBatchApiCountsThem(string body, int expected) =>
        Assert.Equal(expected, EmbeddingInputs.Count(Encoding.UTF8.GetBytes(body)));
}
