using BenchmarkDotNet.Attributes;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch.Benchmarks;

/// <summary>
/// One admission and one settlement of the rate budgets (request and token buckets, usage refund, header learning),
/// with budgets large enough that nothing waits: the limiter's own cost per attempt.
/// </summary>
[MemoryDiagnoser]
public class LimiterBenchmarks
{
    private ResourceController _controller = null!;
    private BatchCall _call = null!;
    private BatchResponse _plain = null!;
    private BatchResponse _withHeaders = null!;

    [GlobalSetup]
    public void Setup()
    {
        _controller = new ResourceController(
            new BatchOptions { RequestsPerMinute = 1e12, TokensPerMinute = 1e15 },
            TimeProvider.System);
        _call = new BatchCall(SampleData.Request(42)) { EstimatedPromptTokens = 41 };
        _plain = new BatchResponse { StatusCode = 200, Body = SampleData.ResponseBody };
        _withHeaders = new BatchResponse
        {
            StatusCode = 200,
            Body = SampleData.ResponseBody,
            Headers = new RateLimitHeaders
            {
                LimitRequests = 1_000_000_000,
                RemainingRequests = 999_999_000,
                LimitTokens = 1_000_000_000_000,
                RemainingTokens = 999_999_000_000,
                ResetRequests = TimeSpan.FromMilliseconds(6),
                ResetTokens = TimeSpan.FromMilliseconds(6),
            },
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _controller.Dispose();

    [Benchmark(Description = "ResourceController.AcquireAsync + OnResponse (usage, no headers)")]
    public async ValueTask AcquireAndSettle()
    {
        var lease = await _controller.AcquireAsync(_call, CancellationToken.None);
        _controller.OnResponse(lease, _plain);
    }

    [Benchmark(Description = "ResourceController.AcquireAsync + OnResponse (usage and x-ratelimit headers)")]
    public async ValueTask AcquireAndSettleWithHeaders()
    {
        var lease = await _controller.AcquireAsync(_call, CancellationToken.None);
        _controller.OnResponse(lease, _withHeaders);
    }
}
