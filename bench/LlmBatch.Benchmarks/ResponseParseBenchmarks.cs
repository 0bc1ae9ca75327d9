using System.Text;
using BenchmarkDotNet.Attributes;
using LlmBatch.Input;
#if LLMBATCH_RESPONSE_FACTS
using LlmBatch.Providers;
#else
using LlmBatch.RateLimiting;
using LlmBatch.Resilience;
#endif

namespace LlmBatch.Benchmarks;

/// <summary>
/// What a successful attempt costs to read: the usage (rate budget, output line) and whether the body has its
/// endpoint's shape (retry classifier, engine), for a 200 <c>chat.completion</c> and two 200 embeddings bodies.
/// Today the body is read once (<c>ResponseFacts.Read</c>, kept by <c>BatchResponse.Facts</c>) and every layer asks
/// the facts. Built against a tree without <c>ResponseFacts</c> (commit 96d5758, through
/// <c>bench/LlmBatch.Benchmarks/before</c>) the same benchmark makes the four passes that commit's success path made
/// with nobody listening to telemetry and no price set: usage in <c>ResourceController.OnResponse</c>, shape in
/// <c>RetryClassifier.Classify</c>, usage and shape again in <c>BatchEngine</c> (a telemetry listener and a cost
/// ledger each added one more).
/// </summary>
[MemoryDiagnoser]
public class ResponseParseBenchmarks
{
    private byte[] _body = null!;
    private BatchEndpointKind _endpoint;

    [Params("chat", "embedding-float", "embedding-base64")]
    public string Body { get; set; } = "chat";

    [GlobalSetup]
    public void Setup()
    {
        (_body, _endpoint) = Body switch
        {
            "chat" => (SampleData.ResponseBody, BatchEndpointKind.ChatCompletions),
            "embedding-float" => (EmbeddingBody(base64: false), BatchEndpointKind.Embeddings),
            _ => (EmbeddingBody(base64: true), BatchEndpointKind.Embeddings),
        };
        if (SuccessPath() != 78 && SuccessPath() != 8)
        {
            throw new InvalidOperationException($"the {Body} body did not read as a success with usage");
        }
    }

    [Benchmark(Description = "read a 200 body as the success path does")]
    public long SuccessPath()
    {
        var body = (ReadOnlySpan<byte>)_body;
#if LLMBATCH_RESPONSE_FACTS
        // One pass; the controller, the classifier and the engine then ask the facts.
        var facts = ResponseFacts.Read(body);
        var settled = facts.UsageReported ? facts.PromptTokens + facts.CompletionTokens : -1;
        var valid = facts.HasShapeOf(_endpoint);
        return valid ? settled + facts.CachedPromptTokens : -1;
#else
        // ResourceController.OnResponse, RetryClassifier.Classify, then BatchEngine's usage and shape.
        var settled = UsageReader.TryRead(body, out var p, out var c) ? p + c : -1;
        var retried = !ResponseShape.IsValid(body, _endpoint);
        var reported = UsageReader.TryRead(body, out var prompt, out var completion, out var cached);
        var valid = ResponseShape.IsValid(body, _endpoint);
        return valid && !retried && reported && settled == prompt + completion ? settled + cached : -1;
#endif
    }

    /// <summary>An OpenAI embeddings list of one 1,536-dimension vector, as numbers (the API's default) or base64.</summary>
    private static byte[] EmbeddingBody(bool base64)
    {
        var random = new Random(42);
        var values = new float[1536];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 0.2) - 0.1);
        }

        var vector = base64
            ? "\"" + Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())) + "\""
            : "[" + string.Join(",", values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]";
        return Encoding.UTF8.GetBytes(
            "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":" + vector + "}]," +
            "\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":8,\"total_tokens\":8}}");
    }
}
