using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.RateLimiting;

namespace LlmBatch.Providers;

/// <summary>
/// Sends requests to an OpenAI-compatible server (OpenAI, Azure OpenAI, vLLM, Ollama, LM Studio, llama.cpp) over HTTP.
/// The body goes out byte for byte; the whole response body is read into an owned array before returning, so a body
/// cut short surfaces here as an exception rather than as a truncated result further up. A server cannot make it hold
/// more than <see cref="MaxResponseBytes"/> of one body, counted after decompression: a success past it is a
/// <see cref="ResponseTooLargeException"/>, an error body past it is cut (only its message is needed).
/// </summary>
internal sealed class HttpBatchHandler : IBatchHandler
{
    /// <summary>The default cap on one response body, decompressed: 64 MiB, about a hundred times a long chat answer.</summary>
    public const long DefaultMaxResponseBytes = 64L * 1024 * 1024;

    /// <summary>
    /// The highest cap allowed (512 MiB): an output line holds the body plus a few hundred bytes, and must stay within
    /// what the output readers accept (<see cref="JsonlLineReader.MaxLineBytes"/>).
    /// </summary>
    public const long MaxMaxResponseBytes = 512L * 1024 * 1024;

    /// <summary>The smallest cap allowed (1 KiB): below it not even an error message fits.</summary>
    public const long MinMaxResponseBytes = 1024;

    // Error bodies are read for their message and kept in the error line: a megabyte is more than any provider sends.
    private const long MaxErrorBody = 1024 * 1024;
    private const long MaxPreallocatedBody = 16 * 1024 * 1024;
    private const int MaxRequestIdLength = 256;

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
    /// <param name="maxResponseBytes">The cap on one response body, decompressed (default <see cref="DefaultMaxResponseBytes"/>).</param>
    public HttpBatchHandler(Uri baseUrl, string? apiKey, HttpClient? httpClient = null, TimeProvider? timeProvider = null, long? maxResponseBytes = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        var cap = maxResponseBytes ?? DefaultMaxResponseBytes;
        if (cap is < MinMaxResponseBytes or > MaxMaxResponseBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(maxResponseBytes), cap, $"The cap on response bodies must be between {MinMaxResponseBytes} and {MaxMaxResponseBytes} bytes.");
        }

        MaxResponseBytes = cap;
        if (!baseUrl.IsAbsoluteUri || (baseUrl.Scheme != Uri.UriSchemeHttp && baseUrl.Scheme != Uri.UriSchemeHttps))
        {
            // The URL itself is not quoted: it may carry credentials in its user-info part.
            throw new ArgumentException("The base URL must be an absolute http or https URL, for example http://localhost:11434/v1.", nameof(baseUrl));
        }

        BaseUrl = baseUrl;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _ownsClient = httpClient is null;
        _client = httpClient ?? CreateDefaultClient(decompress: false);

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

    /// <summary>The cap on one response body, in bytes, counted after decompression.</summary>
    public long MaxResponseBytes { get; }

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
        var status = (int)response.StatusCode;
        var success = status is >= 200 and < 300;
        var limit = success ? MaxResponseBytes : Math.Min(MaxResponseBytes, MaxErrorBody);
        // An error page past its cap is cut: its beginning holds the message, the rest is not worth reading.
        var body = await ReadBodyAsync(response.Content, limit, cut: !success, cancellationToken).ConfigureAwait(false)
            ?? throw new ResponseTooLargeException(status, MaxResponseBytes, response.Content.Headers.ContentLength);

        return new BatchResponse
        {
            StatusCode = status,
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
            path = EndpointPaths.Prefix;
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
    internal static string EndpointPath(BatchEndpointKind kind) => EndpointPaths.Relative(kind);

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

    /// <summary>
    /// The built-in client: pooled connections without a per-server cap, decompression, no overall timeout, and
    /// redirects followed by <see cref="CredentialSafeRedirectHandler"/>. <paramref name="connect"/> replaces how
    /// connections are opened (tests route every host name to loopback with it).
    /// </summary>
    /// <remarks>
    /// Without <paramref name="decompress"/> (the client of this handler, which reads every body itself) the socket
    /// handler does not decompress: the client asks for compressed answers with a header written as it is, and
    /// <see cref="ReadBodyAsync"/> decodes them. The socket handler's decompression layer is one more async step on every
    /// request and builds its <c>Accept-Encoding</c> values anew each time: 20,000 requests at 10 ms pinned to one core
    /// took 83 us of CPU each with it and 76 us without (medians of five interleaved rounds, bench/cpu-ab/run).
    /// </remarks>
    internal static HttpClient CreateDefaultClient(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect = null, bool decompress = true)
    {
        // The attempt-timeout layer owns time; a client-wide timeout would fire in the middle of a long generation.
        var client = new HttpClient(CreateDefaultHandler(connect, decompress), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };

        // As text, not header objects: written as they are on every request instead of formatted again.
        var headers = client.DefaultRequestHeaders;
        headers.TryAddWithoutValidation("User-Agent", "llmbatch/" + (typeof(HttpBatchHandler).Assembly.GetName().Version?.ToString(3) ?? "0"));
        headers.TryAddWithoutValidation("Accept", "application/json");
        if (!decompress)
        {
            headers.TryAddWithoutValidation("Accept-Encoding", AcceptedCodings);
        }

        return client;
    }

    /// <summary>The built-in client's handler chain, also the primary handler of the host's named client (LlmBatch.Hosting).</summary>
    internal static HttpMessageHandler CreateDefaultHandler(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect = null, bool decompress = true)
    {
        var handler = new SocketsHttpHandler
        {
            // Followed above, where credentials can be kept from crossing to another origin.
            AllowAutoRedirect = false,
            // The scheduler above decides how many requests are in flight; the pool must never be the bottleneck.
            MaxConnectionsPerServer = int.MaxValue,
            // Recycle connections so DNS changes and load-balancer rotations are picked up during long runs.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            AutomaticDecompression = decompress ? DecompressionMethods.All : DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            EnableMultipleHttp2Connections = true,
        };
        if (connect is not null)
        {
            handler.ConnectCallback = connect;
        }

        return new CredentialSafeRedirectHandler(handler);
    }

    /// <summary>
    /// Reads the whole body; one that proves longer than <paramref name="limit"/> gives null, or with
    /// <paramref name="cut"/> its first <paramref name="limit"/> bytes. Nothing past the limit is read.
    /// </summary>
    private static async ValueTask<byte[]?> ReadBodyAsync(HttpContent content, long limit, bool cut, CancellationToken cancellationToken)
    {
        // Checked before reading: a bogus huge length must neither allocate nor be read. A compressed body's length is
        // of the compressed bytes, so it is not checked: the decompressed ones are counted as they are read.
        var coding = ContentCoding(content.Headers);
        var length = coding == Coding.None ? content.Headers.ContentLength : null;
        if (length > limit && !cut)
        {
            return null;
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        if (coding != Coding.None)
        {
            stream = Decoding(stream, coding);
        }

        await using (stream.ConfigureAwait(false))
        {
            // Trust Content-Length for an exact allocation only up to a sane size, and only for plain bodies.
            if (length is { } n && n <= Math.Min(limit, MaxPreallocatedBody))
            {
                var exact = new byte[n];

                // Throws EndOfStreamException (an IOException) when the server closes before sending n bytes.
                await stream.ReadExactlyAsync(exact, cancellationToken).ConfigureAwait(false);
                return exact;
            }

            var (buffer, used) = await ReadUpToAsync(stream, cut ? limit : limit + 1, cancellationToken).ConfigureAwait(false);
            try
            {
                return used > limit ? null : buffer.AsSpan(0, used).ToArray();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>The codings this handler's own client asks for, and <see cref="ReadBodyAsync"/> decodes.</summary>
    internal const string AcceptedCodings = "gzip, deflate, br";

    // The one coding of a body, when it is one decoded here; a client that decompresses has removed the header already.
    // Several codings, or one not asked for, are left as they came (as the socket handler leaves them): the body then
    // fails as the JSON it is not.
    private static Coding ContentCoding(HttpContentHeaders headers)
    {
        if (!headers.NonValidated.TryGetValues("Content-Encoding", out var values) || values.Count != 1)
        {
            return Coding.None;
        }

        foreach (var value in values)
        {
            var name = value.AsSpan().Trim();
            return name.Equals("gzip", StringComparison.OrdinalIgnoreCase) || name.Equals("x-gzip", StringComparison.OrdinalIgnoreCase) ? Coding.Gzip
                : name.Equals("deflate", StringComparison.OrdinalIgnoreCase) ? Coding.Deflate
                : name.Equals("br", StringComparison.OrdinalIgnoreCase) ? Coding.Brotli
                : Coding.None;
        }

        return Coding.None;
    }

    // HTTP's "deflate" is the zlib format (RFC 9110, 8.4.1.2).
    private static Stream Decoding(Stream stream, Coding coding) => coding switch
    {
        Coding.Gzip => new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress),
        Coding.Deflate => new System.IO.Compression.ZLibStream(stream, System.IO.Compression.CompressionMode.Decompress),
        _ => new System.IO.Compression.BrotliStream(stream, System.IO.Compression.CompressionMode.Decompress),
    };

    // Chunked or decompressed: the length is unknown, so grow a pooled buffer, never past `most` bytes.
    private static async ValueTask<(byte[] Buffer, int Used)> ReadUpToAsync(Stream stream, long most, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(16 * 1024, most));
        var used = 0;
        try
        {
            while (used < most)
            {
                if (used == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(most, (long)buffer.Length * 2));
                    buffer.AsSpan(0, used).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var room = (int)Math.Min(buffer.Length - used, most - used);
                var read = await stream.ReadAsync(buffer.AsMemory(used, room), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                used += read;
            }

            return (buffer, used);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    // A request id is for looking an answer up with the provider: an absurdly long one is cut, not stored whole.
    private static string? FirstHeader(HttpResponseHeaders headers, string name)
    {
        if (headers.NonValidated.TryGetValues(name, out var values))
        {
            foreach (var value in values)
            {
                return value.Length <= MaxRequestIdLength ? value : value[..MaxRequestIdLength];
            }
        }

        return null;
    }
}
