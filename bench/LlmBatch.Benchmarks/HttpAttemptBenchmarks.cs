using BenchmarkDotNet.Attributes;
using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.Benchmarks;

/// <summary>
/// One attempt through the HTTP provider alone (no engine): request message, body content and auth header out, the
/// response's body read and its rate-limit headers parsed, over <see cref="InMemoryOpenAI"/>. The second benchmark is
/// that in-memory server by itself (what a socket handler would allocate for the same response), so the difference
/// is what <c>HttpBatchHandler</c> and <see cref="HttpClient"/> add per attempt.
/// </summary>
[MemoryDiagnoser]
public class HttpAttemptBenchmarks
{
    private readonly BatchRequest _request = SampleData.Request(42);
    private HttpClient _client = null!;
    private IBatchHandler _provider = null!;
    private HttpMessageInvoker _server = null!;

    [GlobalSetup]
    public void Setup()
    {
        _client = new HttpClient(new InMemoryOpenAI());
        _provider = BatchProviders.Http(new Uri("http://127.0.0.1:1/v1/"), "sk-bench", _client);
        _server = new HttpMessageInvoker(new InMemoryOpenAI());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        (_provider as IDisposable)?.Dispose();
        _client.Dispose();
        _server.Dispose();
    }

    [Benchmark(Description = "HttpBatchHandler.SendAsync, one attempt (in-memory HTTP 200)")]
    public async Task<int> SendOverHttp()
    {
        var response = await _provider.SendAsync(new BatchCall(_request), CancellationToken.None).ConfigureAwait(false);
        return response.StatusCode + response.Body.Length;
    }

    [Benchmark(Description = "the in-memory server alone (request read, response and headers built)")]
    public async Task<int> ServerAlone()
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:1/v1/chat/completions") { Content = new ReadOnlyMemoryContent(_request.Body) };
        using var response = await _server.SendAsync(message, CancellationToken.None).ConfigureAwait(false);
        return (int)response.StatusCode;
    }
}
