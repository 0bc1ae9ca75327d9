using LlmBatch.Input;
using Microsoft.Extensions.AI;

namespace LlmBatch.Providers;

/// <summary>
/// Creates the providers at the bottom of the handler pipeline: the handlers that actually answer a request.
/// Wrap one in the engine (<c>new BatchEngineBuilder(provider)</c>) to get rate limiting, retries and checkpointing.
/// </summary>
public static class BatchProviders
{
    /// <summary>
    /// A provider that POSTs each request's body unchanged to an OpenAI-compatible server: OpenAI, Azure OpenAI, vLLM,
    /// Ollama, LM Studio, llama.cpp and the like.
    /// </summary>
    /// <param name="baseUrl">
    /// The API root, as the OpenAI SDKs take it: <c>https://api.openai.com/v1</c>, <c>http://localhost:11434/v1</c>,
    /// <c>https://NAME.openai.azure.com/openai/v1</c>. A URL with no path gets <c>/v1</c> added. A query string
    /// (Azure's <c>?api-version=...</c>) is kept on every request.
    /// </param>
    /// <param name="apiKey">
    /// The key, sent as <c>Authorization: Bearer</c>, or as <c>api-key</c> to Azure hosts (<c>*.openai.azure.com</c>,
    /// <c>*.cognitiveservices.azure.com</c>, <c>*.services.ai.azure.com</c>). Null or empty sends no auth header
    /// (local servers). The key never appears in exception messages or <see cref="object.ToString"/>.
    /// </param>
    /// <param name="httpClient">
    /// A client to use instead of the built-in one (which pools connections without a per-server cap, decompresses
    /// responses and has no overall timeout, because the pipeline's attempt timeout owns time). It is not disposed.
    /// Its <see cref="HttpClient.Timeout"/> should be <see cref="Timeout.InfiniteTimeSpan"/> or longer than any attempt.
    /// </param>
    /// <param name="maxResponseBytes">
    /// The most bytes of one response body read, counted after decompression (default 64 MiB, allowed 1 KiB to 512 MiB).
    /// A successful answer past it fails its item at once (it would be as large, and paid again, on a retry); an error
    /// body past it is cut. A server can therefore never make the process hold more than this per request in flight.
    /// </param>
    /// <returns>The provider. It implements <see cref="IDisposable"/>, which releases the built-in client's connections.</returns>
    /// <exception cref="ArgumentException">The base URL is not an absolute http(s) URL, or the key holds a character HTTP headers cannot carry.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxResponseBytes"/> is out of range.</exception>
    /// <remarks>
    /// The built-in client follows at most five redirects itself and sends the key only to the origin (scheme, host and
    /// port) of the URL it was meant for; a client you pass follows its own rules, so turn its automatic redirects off
    /// (<see cref="SocketsHttpHandler.AllowAutoRedirect"/>) unless every host it may be sent to is trusted with the key.
    /// </remarks>
    public static IBatchHandler Http(Uri baseUrl, string? apiKey, HttpClient? httpClient = null, long? maxResponseBytes = null) =>
        new HttpBatchHandler(baseUrl, apiKey, httpClient, maxResponseBytes: maxResponseBytes);

    /// <summary>
    /// A provider that answers <c>/v1/chat/completions</c> requests through an <see cref="IChatClient"/>, so a program
    /// that already holds one can run a batch with the same limits, retries and checkpointing. The request JSON is
    /// turned into messages and <see cref="ChatOptions"/>; the answer comes back as an OpenAI <c>chat.completion</c> body.
    /// Other endpoints get a 400 response with code <c>unsupported_endpoint</c>. An <see cref="HttpRequestException"/>
    /// that carries a status code becomes a response with that status; other exceptions propagate to the retry layer.
    /// </summary>
    /// <param name="client">The chat client.</param>
    /// <returns>The provider.</returns>
    public static IBatchHandler ChatClient(IChatClient client) => new ChatClientBatchHandler(client);

    /// <summary>
    /// A provider that answers <c>/v1/embeddings</c> requests through an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>.
    /// <c>input</c> may be a string or an array of strings (token-id arrays get a 400 response); <c>dimensions</c> and
    /// <c>encoding_format</c> (<c>float</c> or <c>base64</c>) are honoured. Other endpoints get a 400 response with code
    /// <c>unsupported_endpoint</c>.
    /// </summary>
    /// <param name="generator">The embedding generator.</param>
    /// <returns>The provider.</returns>
    public static IBatchHandler EmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> generator) =>
        new EmbeddingGeneratorBatchHandler(generator);

    /// <summary>
    /// A provider that sends each request to the provider <paramref name="choose"/> picks for it, for example chat
    /// requests to an <see cref="IChatClient"/> and embeddings to a local model.
    /// </summary>
    /// <param name="choose">Picks the provider for a request; returning null sends it to <paramref name="fallback"/>. Called once per attempt, so it should be cheap.</param>
    /// <param name="fallback">The provider for requests <paramref name="choose"/> declines.</param>
    /// <returns>The provider.</returns>
    public static IBatchHandler Route(Func<BatchRequest, IBatchHandler?> choose, IBatchHandler fallback) =>
        new RoutingBatchHandler(choose, fallback);
}
