using BenchmarkDotNet.Attributes;
using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.Benchmarks;

/// <summary>
/// The whole per-item pipeline of the engine (intake, token counting, limiter, retry and timeout layers, result
/// building) over an in-memory provider that answers a canned 200 at once: what LlmBatch itself costs per item,
/// with no network. Time and bytes are per item (<see cref="Items"/> items per operation).
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private const int Items = 10_000;
    private BatchRequest[] _requests = null!;
    private CannedHandler _handler = null!;

    [Params(false, true)]
    public bool Limited { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _requests = new BatchRequest[Items];
        for (var i = 0; i < Items; i++)
        {
            _requests[i] = SampleData.Request(i);
        }

        _handler = new CannedHandler();
    }

    [Benchmark(Description = "BatchEngine.RunAsync per item (in-memory 200)", OperationsPerInvoke = Items)]
    public async Task<long> RunEngine()
    {
        var options = Limited
            ? new BatchOptions { RequestsPerMinute = 1e12, TokensPerMinute = 1e12 }
            : new BatchOptions();
        var engine = new BatchEngineBuilder(_handler).WithOptions(options).Build();
        long ok = 0;
        await foreach (var result in engine.RunAsync(Requests()))
        {
            if (result.IsSuccess)
            {
                ok++;
            }
        }

        if (ok != Items)
        {
            throw new InvalidOperationException($"expected {Items} successes, got {ok}");
        }

        return ok;
    }

    private async IAsyncEnumerable<BatchRequest> Requests()
    {
        await Task.CompletedTask;
        foreach (var r in _requests)
        {
            yield return r;
        }
    }

    /// <summary>A provider that answers every attempt with the same 200 at once.</summary>
    private sealed class CannedHandler : IBatchHandler
    {
        // A new response per attempt, as a real provider gives: nothing read from one answer carries over to the next.
        public ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken) =>
            new(new BatchResponse { StatusCode = 200, Body = SampleData.ResponseBody, RequestId = "req_bench" });
    }
}
