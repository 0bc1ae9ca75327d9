using System.Buffers.Binary;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Providers;
using Microsoft.Extensions.AI;

namespace LlmBatch.Tests.Providers;

public sealed class EmbeddingGeneratorBatchHandlerTests
{
    // Values whose shortest decimal form differs from a naive %g, plus the extremes of float.
    private static readonly float[] Tricky = [0.1f, 1f / 3f, -2.5e-8f, float.Epsilon, float.MaxValue, -float.MaxValue, 16777217f, 0f, -0f];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static BatchCall Call(string body, string url = "/v1/embeddings", int estimated = -1) =>
        new(BatchRequest.Create("e1", url, body)) { Attempt = 1, EstimatedPromptTokens = estimated };

    private static FakeEmbeddingGenerator Generator(UsageDetails? usage = null, string? modelId = null) => new((inputs, _) =>
    {
        // Each input's vector is Tricky scaled by its position, so order and values are both checked.
        var result = new GeneratedEmbeddings<Embedding<float>>(inputs.Select((_, i) => new Embedding<float>(Tricky.Select(f => i == 0 ? f : f / (i + 1)).ToArray()) { ModelId = modelId }));
        result.Usage = usage;
        return result;
    });

    [Fact]
    public async Task SendAsync_StringInput_FloatsRoundTripExactly()
    {
        var generator = Generator(new UsageDetails { InputTokenCount = 5, TotalTokenCount = 5 }, "text-embedding-3-small");
        var handler = new EmbeddingGeneratorBatchHandler(generator);

        var response = await handler.SendAsync(Call("""{"model":"text-embedding-3-small","input":"hello"}"""), Ct);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(["hello"], Assert.Single(generator.Calls).Inputs);
        using var json = JsonDocument.Parse(response.Body);
        var root = json.RootElement;
        Assert.Equal("list", root.GetProperty("object").GetString());
        Assert.Equal("text-embedding-3-small", root.GetProperty("model").GetString());
        var item = Assert.Single(root.GetProperty("data").EnumerateArray().ToList());
        Assert.Equal("embedding", item.GetProperty("object").GetString());
        Assert.Equal(0, item.GetProperty("index").GetInt32());
        var vector = item.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(Tricky.Select(BitConverter.SingleToInt32Bits), vector.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(5, root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(5, root.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task SendAsync_ArrayInputWithDimensions_IndexedInOrderAndOptionsPassed()
    {
        var generator = Generator();
        var handler = new EmbeddingGeneratorBatchHandler(generator);

        var response = await handler.SendAsync(Call("""{"model":"e5","input":["a","b","c"],"dimensions":256,"encoding_format":"float"}""", estimated: 3), Ct);

        var (inputs, options) = Assert.Single(generator.Calls);
        Assert.Equal(["a", "b", "c"], inputs);
        Assert.Equal(256, options!.Dimensions);
        Assert.Equal("e5", options.ModelId);
        using var json = JsonDocument.Parse(response.Body);
        var root = json.RootElement;
        var data = root.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2], data.Select(d => d.GetProperty("index").GetInt32()));
        Assert.Equal(0.1f / 3, data[2].GetProperty("embedding")[0].GetSingle());

        // The generator named no model and reported no usage: the request's model and the local estimate stand in.
        Assert.Equal("e5", root.GetProperty("model").GetString());
        Assert.Equal(3, root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task SendAsync_NoUsageAndNoEstimate_OmitsUsage()
    {
        var handler = new EmbeddingGeneratorBatchHandler(Generator());

        var response = await handler.SendAsync(Call("""{"model":"e5","input":"a"}"""), Ct);

        using var json = JsonDocument.Parse(response.Body);
        Assert.False(json.RootElement.TryGetProperty("usage", out _));
    }

    [Fact]
    public async Task SendAsync_Base64Encoding_DecodesToSameFloats()
    {
        var handler = new EmbeddingGeneratorBatchHandler(Generator());

        var response = await handler.SendAsync(Call("""{"model":"e5","input":["x","y"],"encoding_format":"base64"}"""), Ct);

        using var json = JsonDocument.Parse(response.Body);
        var data = json.RootElement.GetProperty("data");
        for (var i = 0; i < 2; i++)
        {
            var bytes = Convert.FromBase64String(data[i].GetProperty("embedding").GetString()!);
            Assert.Equal(Tricky.Length * 4, bytes.Length);
            var floats = Enumerable.Range(0, Tricky.Length).Select(k => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(k * 4))).ToArray();
            var expected = Tricky.Select(f => i == 0 ? f : f / (i + 1));
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), floats.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Theory]
    [InlineData("""{"model":"e","input":[1,2,3]}""", "token-id")]
    [InlineData("""{"model":"e","input":[[1,2],[3]]}""", "token-id")]
    [InlineData("""{"model":"e","input":[]}""", "empty")]
    [InlineData("""{"model":"e","input":42}""", "string")]
    [InlineData("""{"model":"e"}""", "required")]
    [InlineData("""{"model":"e","input":"x","encoding_format":"int8"}""", "base64")]
    [InlineData("""{"model":"e","input":"x","dimensions":0}""", "positive")]
    public async Task SendAsync_UnservableInput_Returns400WithClearMessage(string body, string messagePart)
    {
        var generator = Generator();
        var handler = new EmbeddingGeneratorBatchHandler(generator);

        var response = await handler.SendAsync(Call(body), Ct);

        Assert.Equal(400, response.StatusCode);
        Assert.Empty(generator.Calls);
        using var json = JsonDocument.Parse(response.Body);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains(messagePart, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_ChatEndpoint_Returns400UnsupportedEndpoint()
    {
        var generator = Generator();
        var handler = new EmbeddingGeneratorBatchHandler(generator);

        var response = await handler.SendAsync(Call("""{"model":"m","messages":[{"role":"user","content":"Hi"}]}""", "/v1/chat/completions"), Ct);

        Assert.Equal(400, response.StatusCode);
        Assert.Empty(generator.Calls);
        using var json = JsonDocument.Parse(response.Body);
        Assert.Equal("unsupported_endpoint", json.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task SendAsync_GeneratorReturnsTooFew_Throws()
    {
        var generator = new FakeEmbeddingGenerator((_, _) => new GeneratedEmbeddings<Embedding<float>>([new Embedding<float>(new float[] { 1f })]));
        var handler = new EmbeddingGeneratorBatchHandler(generator);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await handler.SendAsync(Call("""{"model":"e","input":["a","b"]}"""), Ct));
    }

    [Fact]
    public async Task SendAsync_GeneratorThrowsHttpStatus_BecomesResponse()
    {
        var generator = new FakeEmbeddingGenerator((_, _) => throw new HttpRequestException("slow down", null, System.Net.HttpStatusCode.TooManyRequests));
        var handler = new EmbeddingGeneratorBatchHandler(generator);

        var response = await handler.SendAsync(Call("""{"model":"e","input":"a"}"""), Ct);

        Assert.Equal(429, response.StatusCode);
    }
}
