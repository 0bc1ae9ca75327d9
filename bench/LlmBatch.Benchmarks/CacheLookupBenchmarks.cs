using BenchmarkDotNet.Attributes;
using LlmBatch.Caching;
using LlmBatch.Input;
using LlmBatch.Sqlite;

namespace LlmBatch.Benchmarks;

/// <summary>
/// What the response cache adds to a request's path: its key (canonical hash of the body) and a SQLite lookup, a hit
/// and a miss, against a cache file of <see cref="Items"/> answers. Per item; the rows' ratio column compares each with
/// the engine's whole per-item cost over an in-memory provider, measured in the same run.
/// </summary>
[MemoryDiagnoser]
public class CacheLookupBenchmarks
{
    private const int Items = 10_000;
    private readonly PipelineBenchmarks _pipeline = new();
    private BatchRequest[] _stored = null!;
    private BatchRequest[] _absent = null!;
    private string _dir = null!;
    private SqliteResponseCache _cache = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _pipeline.Setup();
        _stored = Enumerable.Range(0, Items).Select(Distinct).ToArray();
        _absent = Enumerable.Range(Items, Items).Select(Distinct).ToArray();
        _dir = Directory.CreateTempSubdirectory("llmbatch-cache-bench-").FullName;
        _cache = SqliteResponseCache.Open(new SqliteResponseCacheOptions { Path = Path.Combine(_dir, "cache.db") });
        foreach (var r in _stored)
        {
            await _cache.StoreAsync(RequestKey.Compute("http://127.0.0.1/v1", r), new CachedAnswer { StatusCode = 200, Body = SampleData.ResponseBody, Model = r.Model, OriginCustomId = r.CustomId }, default);
        }

        await _cache.FlushAsync();
    }

    // The sample request with its own prompt, as a file of distinct deterministic requests has.
    private static BatchRequest Distinct(int i) =>
        BatchRequest.Create("r" + i, "/v1/chat/completions",
            "{\"model\":\"gpt-4o-mini\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Item " + i + ": the state of the family group in the country\"}],\"max_tokens\":64}");

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _cache.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "engine per item (in-memory 200), for scale", OperationsPerInvoke = Items)]
    public Task<long> Engine() => _pipeline.RunEngine();

    [Benchmark(Description = "key + lookup, hit", OperationsPerInvoke = Items)]
    public async Task<int> Hit()
    {
        var found = 0;
        foreach (var r in _stored)
        {
            found += await _cache.TryGetAsync(RequestKey.Compute("http://127.0.0.1/v1", r), default) is null ? 0 : 1;
        }

        return found == Items ? found : throw new InvalidOperationException($"{found} hits");
    }

    [Benchmark(Description = "key + lookup, miss", OperationsPerInvoke = Items)]
    public async Task<int> Miss()
    {
        var found = 0;
        foreach (var r in _absent)
        {
            found += await _cache.TryGetAsync(RequestKey.Compute("http://127.0.0.1/v1", r), default) is null ? 0 : 1;
        }

        return found == 0 ? found : throw new InvalidOperationException($"{found} hits");
    }
}
