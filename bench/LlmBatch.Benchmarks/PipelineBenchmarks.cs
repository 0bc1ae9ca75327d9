using BenchmarkDotNet.Attributes;
using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.Benchmarks;

/// <summary>
/// The whole per-item pipeline of the engine (intake, token counting, limiter, retry and timeout layers, result
/// building) over an in-memory provider that answers a canned 200 at once: what LlmBatch itself costs per item,
/// with no network. Time and bytes are per item (<see cref="EngineRuns.Items"/> items per operation).
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private BatchRequest[] _requests = null!;
    private CannedHandler _handler = null!;

    [Params(false, true)]
    public bool Limited { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _requests = EngineRuns.Requests();
        _handler = new CannedHandler();
    }

    [Benchmark(Description = "BatchEngine.RunAsync per item (in-memory 200)", OperationsPerInvoke = EngineRuns.Items)]
    public Task<long> RunEngine() => EngineRuns.RunAsync(_handler, _requests, Limited);

    /// <summary>A provider that answers every attempt with the same 200 at once.</summary>
    private sealed class CannedHandler : IBatchHandler
    {
        // A new response per attempt, as a real provider gives: nothing read from one answer carries over to the next.
        public ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken) =>
            new(new BatchResponse { StatusCode = 200, Body = SampleData.ResponseBody, RequestId = "req_bench" });
    }
}
