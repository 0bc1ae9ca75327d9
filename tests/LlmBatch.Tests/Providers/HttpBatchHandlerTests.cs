using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LlmBatch.Input;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.Providers;

public sealed class HttpBatchHandlerTests
{
    private const string Key = "sk-test-9f8e7d6c5b4a3210SECRET";
    private const string ChatBody = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static BatchCall Call(string url = "/v1/chat/completions", string body = ChatBody) =>
        new(BatchRequest.Create("c1", url, body)) { Attempt = 1 };

    [Fact]
    public async Task SendAsync_Body_ReachesServerByteForByte()
    {
        // Odd spacing, escapes and non-ASCII text: anything re-serialised on the way would change these bytes.
        var body = "{ \"model\" : \"m\",\n  \"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9llo \u2713 \\\"q\\\"\"}] , \"temperature\":0.10 }";
        var recorder = new Recorder();
        await using var server = await LoopbackServer.StartAsync(recorder.Handle, Ct);
        using var handler = new HttpBatchHandler(server.BaseUrl, null);

        var response = await handler.SendAsync(Call(body: body), Ct);

        Assert.Equal(200, response.StatusCode);
        var seen = Assert.Single(recorder.Requests);
        Assert.Equal("POST", seen.Method);
        Assert.Equal(Encoding.UTF8.GetBytes(body), seen.Body);
        Assert.Equal("application/json", seen.ContentType);
        Assert.Equal("""{"ok":true}""", Encoding.UTF8.GetString(response.Body.Span));
    }

    [Theory]
    [InlineData("", "/v1/chat/completions", "/v1/chat/completions")]
    [InlineData("", "/chat/completions", "/v1/chat/completions")]
    [InlineData("v1", "/v1/chat/completions", "/v1/chat/completions")]
    [InlineData("v1/", "/v1/embeddings", "/v1/embeddings")]
    [InlineData("v1", "/embeddings", "/v1/embeddings")]
    [InlineData("openai/v1", "/v1/chat/completions", "/openai/v1/chat/completions")]
    [InlineData("openai/v1?api-version=preview", "/v1/chat/completions", "/openai/v1/chat/completions?api-version=preview")]
    [InlineData("v1beta/openai/", "/v1/chat/completions", "/v1beta/openai/chat/completions")]
    [InlineData("v1", "/v1/responses", "/v1/responses")]
    [InlineData("v1", "/v1/completions", "/v1/completions")]
    public async Task SendAsync_BaseUrlForms_JoinToExpectedPath(string basePath, string url, string expectedPathAndQuery)
    {
        var recorder = new Recorder();
        await using var server = await LoopbackServer.StartAsync(recorder.Handle, Ct);
        using var handler = new HttpBatchHandler(server.Url(basePath), null);
        var body = url.Contains("embeddings", StringComparison.Ordinal) ? """{"model":"e","input":"x"}""" : ChatBody;

        await handler.SendAsync(Call(url, body), Ct);
        await handler.SendAsync(Call(url, body), Ct);

        // The query string stays on every request, not just the first.
        Assert.All(recorder.Requests, r => Assert.Equal(expectedPathAndQuery, r.PathAndQuery));
        Assert.Equal(2, recorder.Requests.Count);
    }

    [Fact]
    public void ResolveEndpoint_AzureBaseWithApiVersion_KeepsPathAndQuery()
    {
        var uri = HttpBatchHandler.ResolveEndpoint(new Uri("https://x.openai.azure.com/openai/v1?api-version=2025-04-01-preview"), "/chat/completions");

        Assert.Equal("https://x.openai.azure.com/openai/v1/chat/completions?api-version=2025-04-01-preview", uri.AbsoluteUri);
    }

    [Fact]
    public async Task SendAsync_WithKey_SendsBearerAuthorization()
    {
        var recorder = new Recorder();
        await using var server = await LoopbackServer.StartAsync(recorder.Handle, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), Key);

        await handler.SendAsync(Call(), Ct);

        var seen = Assert.Single(recorder.Requests);
        Assert.Equal("Bearer " + Key, seen.Authorization);
        Assert.Null(seen.ApiKey);
    }

    [Fact]
    public async Task SendAsync_WithoutKey_SendsNoAuthHeader()
    {
        var recorder = new Recorder();
        await using var server = await LoopbackServer.StartAsync(recorder.Handle, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), "   ");

        await handler.SendAsync(Call(), Ct);

        var seen = Assert.Single(recorder.Requests);
        Assert.Null(seen.Authorization);
        Assert.Null(seen.ApiKey);
    }

    [Theory]
    [InlineData("myres.openai.azure.com")]
    [InlineData("myres.cognitiveservices.azure.com")]
    public async Task SendAsync_AzureHost_SendsApiKeyHeaderAndKeepsApiVersion(string host)
    {
        var recorder = new Recorder();
        await using var server = await LoopbackServer.StartAsync(recorder.Handle, Ct);

        // Resolve the Azure host name to the loopback server so the real wire format is checked.
        using var socketsHandler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.BaseUrl.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var client = new HttpClient(socketsHandler);
        var baseUrl = new Uri($"http://{host}:{server.BaseUrl.Port}/openai/v1?api-version=2025-04-01-preview");
        using var handler = new HttpBatchHandler(baseUrl, Key, client);

        await handler.SendAsync(Call(), Ct);

        var seen = Assert.Single(recorder.Requests);
        Assert.Equal(Key, seen.ApiKey);
        Assert.Null(seen.Authorization);
        Assert.Equal("/openai/v1/chat/completions?api-version=2025-04-01-preview", seen.PathAndQuery);
    }

    [Fact]
    public async Task SendAsync_429WithRateLimitHeaders_ReturnsStatusHeadersAndRequestId()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 3, 0, 0, TimeSpan.Zero));
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            context.Response.StatusCode = 429;
            var h = context.Response.Headers;
            h["x-ratelimit-limit-requests"] = "500";
            h["x-ratelimit-remaining-requests"] = "0";
            h["x-ratelimit-limit-tokens"] = "200000";
            h["x-ratelimit-remaining-tokens"] = "1500";
            h["x-ratelimit-reset-requests"] = "120ms";
            h["x-ratelimit-reset-tokens"] = "6m0s";
            h["retry-after"] = time.GetUtcNow().AddSeconds(30).ToString("r");
            h["x-request-id"] = "req_abc123";
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}""");
        }, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), Key, timeProvider: time);

        var response = await handler.SendAsync(Call(), Ct);

        Assert.Equal(429, response.StatusCode);
        Assert.Equal("req_abc123", response.RequestId);
        Assert.Equal(500, response.Headers.LimitRequests);
        Assert.Equal(0, response.Headers.RemainingRequests);
        Assert.Equal(200_000, response.Headers.LimitTokens);
        Assert.Equal(1500, response.Headers.RemainingTokens);
        Assert.Equal(TimeSpan.FromMilliseconds(120), response.Headers.ResetRequests);
        Assert.Equal(TimeSpan.FromMinutes(6), response.Headers.ResetTokens);
        Assert.Equal(TimeSpan.FromSeconds(30), response.Headers.RetryAfter);
        Assert.Contains("rate_limit_exceeded", Encoding.UTF8.GetString(response.Body.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_AzureApimRequestId_UsedWhenNoXRequestId()
    {
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            context.Response.Headers["apim-request-id"] = "apim-42";
            context.Response.Headers["retry-after-ms"] = "250";
            await context.Response.WriteAsync("{}");
        }, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), null);

        var response = await handler.SendAsync(Call(), Ct);

        Assert.Equal("apim-42", response.RequestId);
        Assert.Equal(TimeSpan.FromMilliseconds(250), response.Headers.RetryAfter);
    }

    [Fact]
    public async Task SendAsync_NoRateLimitHeaders_HeadersEmptyAndRequestIdNull()
    {
        await using var server = await LoopbackServer.StartAsync(context => context.Response.WriteAsync("{}"), Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), null);

        var response = await handler.SendAsync(Call(), Ct);

        Assert.Same(RateLimitHeaders.Empty, response.Headers);
        Assert.Null(response.RequestId);
    }

    [Fact]
    public async Task SendAsync_ChunkedBodyLargerThanBuffer_ReadWhole()
    {
        var payload = new byte[200_000];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + (i % 26));
        }

        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            // No Content-Length and several flushes: Kestrel sends it chunked.
            for (var offset = 0; offset < payload.Length; offset += 7_000)
            {
                await context.Response.Body.WriteAsync(payload.AsMemory(offset, Math.Min(7_000, payload.Length - offset)));
                await context.Response.Body.FlushAsync();
            }
        }, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), null);

        var response = await handler.SendAsync(Call(), Ct);

        Assert.Equal(payload, response.Body.ToArray());
    }

    [Fact]
    public async Task SendAsync_GzipResponse_Decompressed()
    {
        var json = """{"id":"chatcmpl-1","choices":[]}""";
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            using var compressed = new MemoryStream();
            await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                await gzip.WriteAsync(Encoding.UTF8.GetBytes(json));
            }

            context.Response.Headers.ContentEncoding = "gzip";
            context.Response.ContentLength = compressed.Length;
            await context.Response.Body.WriteAsync(compressed.ToArray());
        }, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), null);

        var response = await handler.SendAsync(Call(), Ct);

        Assert.Equal(json, Encoding.UTF8.GetString(response.Body.Span));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("x-gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    [InlineData("BR")]
    public async Task SendAsync_EachAskedCoding_AskedForAndDecoded(string coding)
    {
        var json = """{"id":"chatcmpl-1","choices":[{"message":{"content":"é"}}]}""";
        string? asked = null;
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            asked = context.Request.Headers.AcceptEncoding;
            using var compressed = new MemoryStream();
            await using (Stream encoder = coding.ToLowerInvariant() switch
            {
                "deflate" => new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true),
                "br" => new BrotliStream(compressed, CompressionLevel.Fastest, leaveOpen: true),
                _ => new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true),
            })
            {
                await encoder.WriteAsync(Encoding.UTF8.GetBytes(json));
            }

            context.Response.Headers.ContentEncoding = coding;
            await context.Response.Body.WriteAsync(compressed.ToArray());
        }, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), null);

        var response = await handler.SendAsync(Call(), Ct);

        Assert.Equal(json, Encoding.UTF8.GetString(response.Body.Span));
        Assert.Equal(HttpBatchHandler.AcceptedCodings, asked);
    }

    [Fact]
    public async Task SendAsync_CodingNotAskedFor_BodyLeftAsItCame()
    {
        var body = "not json, coded some other way"u8.ToArray();
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            context.Response.Headers.ContentEncoding = "zstd";
            await context.Response.Body.WriteAsync(body);
        }, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), null);

        var response = await handler.SendAsync(Call(), Ct);

        Assert.Equal(body, response.Body.ToArray());
    }

    [Fact]
    public async Task SendAsync_BodyCutShort_ThrowsTransportExceptionWithoutKey()
    {
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            context.Response.ContentLength = 1_000;
            await context.Response.Body.WriteAsync("""{"id":"chatcmpl-1","#"""u8.ToArray());
            await context.Response.Body.FlushAsync();
            context.Abort();
        }, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), Key);

        var ex = await Assert.ThrowsAnyAsync<Exception>(async () => await handler.SendAsync(Call(), Ct));

        Assert.True(ex is IOException or HttpRequestException, $"unexpected {ex.GetType()}: {ex.Message}");
        Assert.DoesNotContain(Key, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_ChunkedBodyAbortedMidway_ThrowsTransportException()
    {
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            // No Content-Length: only the missing final chunk tells the client the body is incomplete.
            await context.Response.Body.WriteAsync("""{"id":"chatcmpl-1","choices":[{"#"""u8.ToArray());
            await context.Response.Body.FlushAsync();
            context.Abort();
        }, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), null);

        var ex = await Assert.ThrowsAnyAsync<Exception>(async () => await handler.SendAsync(Call(), Ct));

        Assert.True(ex is IOException or HttpRequestException, $"unexpected {ex.GetType()}: {ex.Message}");
    }

    [Fact]
    public async Task SendAsync_ConnectionReset_ThrowsHttpRequestExceptionWithoutKey()
    {
        await using var server = await LoopbackServer.StartAsync(context =>
        {
            context.Abort();
            return Task.CompletedTask;
        }, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), Key);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(async () => await handler.SendAsync(Call(), Ct));

        Assert.DoesNotContain(Key, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_ConnectionRefused_ThrowsHttpRequestExceptionWithoutKey()
    {
        Uri closed;
        await using (var server = await LoopbackServer.StartAsync(context => Task.CompletedTask, Ct))
        {
            closed = server.Url("v1");
        }

        using var handler = new HttpBatchHandler(closed, Key);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(async () => await handler.SendAsync(Call(), Ct));

        Assert.DoesNotContain(Key, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_HungBeforeHeaders_CancelledByToken()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            arrived.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), Key);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var send = handler.SendAsync(Call(), cts.Token).AsTask();
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await cts.CancelAsync();

        // The bound only keeps a broken build from hanging the suite; a working one ends as soon as it is cancelled.
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.DoesNotContain(Key, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_HungMidBody_CancelledByToken()
    {
        var headersSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            context.Response.ContentLength = 500;
            await context.Response.Body.WriteAsync("""{"partial":"""u8.ToArray());
            await context.Response.Body.FlushAsync();
            headersSent.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), null);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var send = handler.SendAsync(Call(), cts.Token).AsTask();
        await headersSent.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send.WaitAsync(TimeSpan.FromSeconds(30), Ct));
    }

    [Fact]
    public void Constructor_KeyWithNewline_ThrowsWithoutKey()
    {
        var bad = "sk-abc\ndef-SECRET";

        var ex = Assert.Throws<ArgumentException>(() => new HttpBatchHandler(new Uri("http://127.0.0.1/v1"), bad));

        Assert.DoesNotContain("SECRET", ex.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://host/v1")]
    [InlineData("file:///tmp/x")]
    public void Constructor_NonHttpBaseUrl_Throws(string url)
    {
        Assert.Throws<ArgumentException>(() => new HttpBatchHandler(new Uri(url), null));
    }

    [Fact]
    public void ToString_BaseUrlWithUserInfo_DoesNotShowIt()
    {
        using var handler = new HttpBatchHandler(new Uri("https://user:pw-SECRET@example.com/v1"), null);

        Assert.DoesNotContain("SECRET", handler.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_WithKey_DoesNotShowKey()
    {
        using var handler = new HttpBatchHandler(new Uri("https://api.openai.com/v1"), Key);

        var text = handler.ToString();

        Assert.DoesNotContain(Key, text, StringComparison.Ordinal);
        Assert.Contains("api.openai.com", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchProvidersHttp_InjectedClient_IsUsedAndNotDisposed()
    {
        var recorder = new Recorder();
        await using var server = await LoopbackServer.StartAsync(recorder.Handle, Ct);
        using var client = new HttpClient();
        var provider = BatchProviders.Http(server.Url("v1"), null, client);

        await provider.SendAsync(Call(), Ct);
        ((IDisposable)provider).Dispose();

        // Still usable: the handler must not dispose a client it was given.
        using var again = await client.GetAsync(server.Url("v1/models"), Ct);
        Assert.Equal(2, recorder.Requests.Count);
    }

    private sealed record Seen(string Method, string PathAndQuery, byte[] Body, string? ContentType, string? Authorization, string? ApiKey);

    private sealed class Recorder
    {
        private readonly ConcurrentQueue<Seen> _requests = new();

        public IReadOnlyList<Seen> Requests => [.. _requests];

        public async Task Handle(HttpContext context)
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var headers = context.Request.Headers;
            _requests.Enqueue(new Seen(
                context.Request.Method,
                context.Request.Path + context.Request.QueryString,
                body.ToArray(),
                context.Request.ContentType,
                headers.Authorization.Count > 0 ? headers.Authorization.ToString() : null,
                headers.TryGetValue("api-key", out var k) ? k.ToString() : null));
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"ok":true}""");
        }
    }
}
