using System.Buffers;
using System.Net;
using System.Net.Http.Headers;

namespace LlmBatch;

/// <summary>
/// Sends requests to an OpenAI-compatible server (OpenAI, Azure OpenAI, vLLM, Ollama, LM Studio, llama.cpp) over HTTP.
/// The body goes out byte for byte; the whole response body is read into an owned array before returning, so a body
/// cut short surfaces here as an exception rather than as a truncated result further up.
/// </summary>
internal sealed class HttpBatchHandler : IBatchHandler, IDisposable
{
    private const long MaxPreallocatedBody = 16 * 1024 * 1024;

    private readonly HttpClient _client;
    private readonly bool _ownsClient;
    private readonly TimeProvider _timeProvider;
    private readonly string? _authHeaderName;
    private readonly string? _authHeaderValue;
    private readonly Uri[] _endpointUris;

    /// <summary>Creates the handler.</summary>
    /// <param name="baseUrl">The server's base URL (see <see cref="ResolveEndpoint"/> for how request URLs are joined to it).</param>
    /// <param name="apiKey">The key, or null for servers that need none.</param>
    /// <param name="httpClient">A client to use instead of one built here; it is not disposed by the handler.</param>
    /// <param name="timeProvider">The clock for rate-limit headers that carry dates.</param>
    public HttpBatchHandler(Uri baseUrl, string? apiKey, HttpClient? httpClient = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (!baseUrl.IsAbsoluteUri || (baseUrl.Scheme != Uri.UriSchemeHttp && baseUrl.Scheme != Uri.UriSchemeHttps))
        {
            // The URL itself is not quoted: it may carry credentials in its user-info part.
            throw new ArgumentException("The base URL must be an absolute http or https URL, for example http://localhost:11434/v1.", nameof(baseUrl));
        }

        BaseUrl = baseUrl;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _ownsClient = httpClient is null;
        _client = httpClient ?? CreateDefaultClient();

        (_authHeaderName, _authHeaderValue) = AuthHeader(baseUrl, apiKey);

        // One URI per endpoint kind, joined once: the request path is fixed by the endpoint, not by the line's spelling of it.
        var kinds = Enum.GetValues<BatchEndpointKind>();
        _endpointUris = new Uri[kinds.Length];
        foreach (var kind in kinds)
        {
            _endpointUris[(int)kind] = ResolveEndpoint(baseUrl, EndpointPath(kind));
        }
    }

    /// <summary>The base URL requests are sent under.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The name of the header that carries the key, or null when no key was given.</summary>
    internal string? AuthHeaderName => _authHeaderName;

    /// <summary>The URL a request of the given kind is sent to.</summary>
    internal Uri GetEndpointUri(BatchEndpointKind kind) => _endpointUris[(int)kind];

    /// <inheritdoc />
    public async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var request = item.Request;
        using var message = new HttpRequestMessage(HttpMethod.Post, _endpointUris[(int)request.Endpoint]);
        var content = new ReadOnlyMemoryContent(request.Body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        message.Content = content;
        if (_authHeaderName is not null)
        {
            message.Headers.TryAddWithoutValidation(_authHeaderName, _authHeaderValue);
        }

        // Headers first, then the body under the same token: a server that stalls mid-body is cancelled, not waited on.
        using var response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var body = await ReadBodyAsync(response.Content, cancellationToken).ConfigureAwait(false);
        return new BatchResponse
        {
            StatusCode = (int)response.StatusCode,
            Body = body,
            Headers = RateLimitHeaderParser.Parse(response.Headers, _timeProvider.GetUtcNow()),
            RequestId = FirstHeader(response.Headers, "x-request-id") ?? FirstHeader(response.Headers, "apim-request-id"),
        };
    }

    /// <summary>Disposes the HTTP client when the handler built it.</summary>
    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"HttpBatchHandler({BaseUrl.Scheme}://{BaseUrl.Authority}{BaseUrl.AbsolutePath}, auth: {_authHeaderName ?? "none"})";

    /// <summary>
    /// Joins an endpoint path such as <c>/chat/completions</c> to a base URL. A base URL with no path gets OpenAI's
    /// <c>/v1</c>; any other path is taken to be the API root already (<c>http://h/v1</c>, <c>https://x.openai.azure.com/openai/v1</c>,
    /// <c>https://generativelanguage.googleapis.com/v1beta/openai</c>), as the OpenAI SDKs take it. The base URL's query
    /// (Azure's <c>api-version</c>) is kept.
    /// </summary>
    internal static Uri ResolveEndpoint(Uri baseUrl, string endpointPath)
    {
        var path = baseUrl.AbsolutePath.TrimEnd('/');
        if (path.Length == 0)
        {
            path = "/v1";
        }

        var builder = new UriBuilder(baseUrl)
        {
            Path = path + endpointPath,
            Fragment = string.Empty,
        };
        return builder.Uri;
    }

    /// <summary>
    /// The header that carries the key to <paramref name="baseUrl"/>: <c>api-key</c> for Azure hosts, a bearer token
    /// otherwise, none without a key. The one place that decides it, for model requests and the Batch API alike.
    /// </summary>
    /// <exception cref="ArgumentException">The key holds a character an HTTP header cannot carry (the key is not quoted).</exception>
    internal static (string? Name, string? Value) AuthHeader(Uri baseUrl, string? apiKey)
    {
        var key = apiKey?.Trim();
        if (string.IsNullOrEmpty(key))
        {
            return (null, null);
        }

        ValidateKey(key);
        return IsAzureHost(baseUrl.Host) ? ("api-key", key) : ("Authorization", "Bearer " + key);
    }

    /// <summary>True for Azure OpenAI hosts, which take the key in an <c>api-key</c> header instead of a bearer token.</summary>
    internal static bool IsAzureHost(string host) =>
        host.EndsWith(".openai.azure.com", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".cognitiveservices.azure.com", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".services.ai.azure.com", StringComparison.OrdinalIgnoreCase);

    /// <summary>The path of an endpoint under the API root, for example <c>/chat/completions</c>.</summary>
    internal static string EndpointPath(BatchEndpointKind kind) => kind switch
    {
        BatchEndpointKind.ChatCompletions => "/chat/completions",
        BatchEndpointKind.Completions => "/completions",
        BatchEndpointKind.Embeddings => "/embeddings",
        BatchEndpointKind.Responses => "/responses",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown endpoint kind."),
    };

    private static void ValidateKey(string apiKey)
    {
        // Checked here because HttpClient's own header validation quotes the offending value in its exception message.
        for (var i = 0; i < apiKey.Length; i++)
        {
            if (apiKey[i] < 0x21 || apiKey[i] > 0x7E)
            {
                throw new ArgumentException($"The API key contains a character that cannot be sent in an HTTP header (at position {i + 1} of {apiKey.Length}).", nameof(apiKey));
            }
        }
    }

    /// <summary>The client used when none is given: unbounded pool, recycled connections, no overall timeout.</summary>
    internal static HttpClient CreateDefaultClient()
    {
        var handler = new SocketsHttpHandler
        {
            // The scheduler above decides how many requests are in flight; the pool must never be the bottleneck.
            MaxConnectionsPerServer = int.MaxValue,
            // Recycle connections so DNS changes and load-balancer rotations are picked up during long runs.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            AutomaticDecompression = DecompressionMethods.All,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            EnableMultipleHttp2Connections = true,
        };

        // The attempt-timeout layer owns time; a client-wide timeout would fire in the middle of a long generation.
        var client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("llmbatch", typeof(HttpBatchHandler).Assembly.GetName().Version?.ToString(3) ?? "0"));
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    private static async ValueTask<byte[]> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var length = content.Headers.ContentLength;
            // Trust Content-Length for an exact allocation only up to a sane size; a bogus huge value must not allocate it up front.
            if (length is { } n && n <= MaxPreallocatedBody)
            {
                var exact = new byte[n];

                // Throws EndOfStreamException (an IOException) when the server closes before sending n bytes.
                await stream.ReadExactlyAsync(exact, cancellationToken).ConfigureAwait(false);
                return exact;
            }

            // Chunked or decompressed: the length is unknown, so grow a pooled buffer and copy out once at the end.
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            var used = 0;
            try
            {
                while (true)
                {
                    if (used == buffer.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, used).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }

                    var read = await stream.ReadAsync(buffer.AsMemory(used), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    used += read;
                }

                return buffer.AsSpan(0, used).ToArray();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static string? FirstHeader(HttpResponseHeaders headers, string name)
    {
        if (headers.NonValidated.TryGetValues(name, out var values))
        {
            foreach (var value in values)
            {
                return value;
            }
        }

        return null;
    }
}
