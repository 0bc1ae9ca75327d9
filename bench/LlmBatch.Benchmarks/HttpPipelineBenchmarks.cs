using System.Net;
using System.Net.Http.Headers;
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

    /// <summary>
    /// Answers every request at once with a 200 chat completion and OpenAI's rate-limit headers. The request body is
    /// read to the end, as a socket handler writes it to the wire; the response is new each time, as from a server.
    /// </summary>
    private sealed class InMemoryOpenAI : HttpMessageHandler
    {
        private static readonly MediaTypeHeaderValue Json = new("application/json");

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is { } content)
            {
                await content.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            }

            var response = new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new ByteArrayContent(SampleData.ResponseBody) };
            response.Content.Headers.ContentType = Json;
            var headers = response.Headers;
            headers.TryAddWithoutValidation("x-request-id", "req_bench");
            // Limits far above what the benchmark reaches: the learned budget reads them but never paces.
            headers.TryAddWithoutValidation("x-ratelimit-limit-requests", "1000000000");
            headers.TryAddWithoutValidation("x-ratelimit-remaining-requests", "999999999");
            headers.TryAddWithoutValidation("x-ratelimit-reset-requests", "1ms");
            headers.TryAddWithoutValidation("x-ratelimit-limit-tokens", "1000000000000");
            headers.TryAddWithoutValidation("x-ratelimit-remaining-tokens", "999999999920");
            headers.TryAddWithoutValidation("x-ratelimit-reset-tokens", "0s");
            return response;
        }
    }
}
