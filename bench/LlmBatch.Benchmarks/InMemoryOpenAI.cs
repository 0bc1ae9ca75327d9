using System.Net;

namespace LlmBatch.Benchmarks;

/// <summary>
/// Answers every request at once with a 200 chat completion and OpenAI's rate-limit headers. The request body is
/// read to the end, as a socket handler writes it to the wire; the response and its headers are new each time, as a
/// socket handler builds them from what the server sent.
/// </summary>
internal sealed class InMemoryOpenAI : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is { } content)
        {
            await content.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        }

        var response = new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new ByteArrayContent(SampleData.ResponseBody) };
        response.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
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
