using BenchmarkDotNet.Attributes;
using LlmBatch.Input;
using LlmBatch.RateLimiting;

namespace LlmBatch.Benchmarks;

/// <summary>Counting a request's prompt tokens (o200k, OpenAI's per-message formula): done once per item before admission.</summary>
[MemoryDiagnoser]
public class TokenCountingBenchmarks
{
    private BatchRequest _short = null!;
    private BatchRequest _long = null!;

    [GlobalSetup]
    public void Setup()
    {
        _short = SampleData.Request(42);
        var words = string.Join(' ', Enumerable.Repeat(SampleData.Prompt, 40));
        _long = BatchRequest.Create("r0000043", "/v1/chat/completions",
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},{\"role\":\"user\",\"content\":\"" + words + "\"}],\"max_tokens\":64}");
        // Load the encoding outside the measurement: it is loaded once per process.
        TokenCounter.Shared.CountPromptTokens(_short);
    }

    [Benchmark(Description = "TokenCounter.CountPromptTokens (~40 tokens)")]
    public int CountShort() => TokenCounter.Shared.CountPromptTokens(_short);

    [Benchmark(Description = "TokenCounter.CountPromptTokens (~1,200 tokens)")]
    public int CountLong() => TokenCounter.Shared.CountPromptTokens(_long);
}
