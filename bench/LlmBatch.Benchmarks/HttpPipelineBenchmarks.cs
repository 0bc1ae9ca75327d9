using BenchmarkDotNet.Attributes;
using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.Benchmarks;

/// <summary>
/// The whole item path as <c>llmbatch run</c> takes it, minus the socket: the engine over the real HTTP provider
/// (<c>BatchProviders.Http</c>: request message, body content, auth header, response headers, body read, rate-limit
/// headers parsed), its <see cref="HttpClient"/> over an in-memory <see cref="HttpMessageHandler"/> that drains the
/// request body and answers a 200 with the headers OpenAI sends (limits far above the benchmark's pace). Unlike <see cref="PipelineBenchmarks"/>, the HTTP
/// layer's own allocations count. Time and bytes are per item (<see cref="EngineRuns.Items"/> items per operation).
/// </summary>
[MemoryDiagnoser]
public class HttpPipelineBenchmarks
{
    private BatchRequest[] _requests = null!;
    private HttpClient _client = null!;
    private IBatchHandler _provider = null!;

    [Params(false, true)]
    public bool Limited { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _requests = EngineRuns.Requests();
        _client = new HttpClient(new InMemoryOpenAI());
        _provider = BatchProviders.Http(new Uri("http://127.0.0.1:1/v1/"), "sk-bench", _client);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        (_provider as IDisposable)?.Dispose();
        _client.Dispose();
    }

    [Benchmark(Description = "BatchEngine.RunAsync per item over HttpBatchHandler (in-memory HTTP 200)", OperationsPerInvoke = EngineRuns.Items)]
    public Task<long> RunEngineOverHttp() => EngineRuns.RunAsync(_provider, _requests, Limited);
}
