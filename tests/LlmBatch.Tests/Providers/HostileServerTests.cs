using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Providers;
using LlmBatch.Resilience;
using LlmBatch.Tests.TestSupport;
using Microsoft.AspNetCore.Http;

namespace LlmBatch.Tests.Providers;

/// <summary>
/// Real Kestrel servers on loopback that answer as an attacker or a broken gateway would: bombs, endless bodies,
/// absurd headers, redirects to another origin. None of them may take the client down or walk off with the key.
/// </summary>
public sealed class HostileServerTests
{
    private const string Key = "sk-hostile-0123456789SECRET";
    private const long Cap = 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static BatchCall Call() =>
        new(BatchRequest.Create("c1", "/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""")) { Attempt = 1 };

    private static byte[] Gzip(Action<Stream> write)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            write(gzip);
        }

        return compressed.ToArray();
    }

    // {"choices":[{"message":{"content":"aaaa…"}}]} with `size` a's: valid, and far bigger decoded than on the wire.
    private static byte[] GzipBomb(int size) => Gzip(s =>
    {
        s.Write("{\"choices\":[{\"message\":{\"content\":\""u8);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'a');
        for (var left = size; left > 0; left -= chunk.Length)
        {
            s.Write(chunk, 0, Math.Min(left, chunk.Length));
        }

        s.Write("\"}}]}"u8);
    });

    private static async Task Answer(HttpContext context, byte[] gzipBody)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.ContentEncoding = "gzip";
        await context.Response.Body.WriteAsync(gzipBody, context.RequestAborted);
    }

    [Fact]
    public async Task SendAsync_GzipBomb_StopsAtTheCapCountedDecompressed()
    {
        var bomb = GzipBomb(64 * 1024 * 1024);
        Assert.True(bomb.Length < 256 * 1024, $"{bomb.Length} bytes on the wire");
        await using var server = await LoopbackServer.StartAsync(c => Answer(c, bomb), Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), null, maxResponseBytes: Cap);

        var ex = await Assert.ThrowsAsync<ResponseTooLargeException>(async () => await handler.SendAsync(Call(), Ct));

        Assert.Contains("--max-response-bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1,048,576", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_EndlessDecodedBody_NeverReadPastTheCap()
    {
        // The decoded stream as the client sees it, counting what is taken from it: no more than the cap and one byte.
        var endless = new EndlessStream();
        using var client = new HttpClient(new StreamHandler(endless));
        using var handler = new HttpBatchHandler(new Uri("http://127.0.0.1:9/v1"), null, client, maxResponseBytes: Cap);

        await Assert.ThrowsAsync<ResponseTooLargeException>(async () => await handler.SendAsync(Call(), Ct));

        Assert.InRange(endless.Taken, Cap, Cap + 1);
    }

    private sealed class EndlessStream : Stream
    {
        public long Taken { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Taken; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Fill(buffer, (byte)' ', offset, count);
            Taken += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class StreamHandler(Stream body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(body), RequestMessage = request });
    }

    [Fact]
    public async Task SendAsync_BodyUnderTheCap_ReadWhole()
    {
        var answer = GzipBomb((int)Cap / 2);
        await using var server = await LoopbackServer.StartAsync(c => Answer(c, answer), Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), null, maxResponseBytes: Cap);

        var response = await handler.SendAsync(Call(), Ct);

        Assert.True(ResponseShape.IsValid(response.Body.Span, BatchEndpointKind.ChatCompletions));
        Assert.Equal((Cap / 2) + 40, response.Body.Length);
    }

    [Fact]
    public async Task SendAsync_EndlessChunkedBody_StopsAtTheCap()
    {
        var sent = 0L;
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            context.Response.ContentType = "application/json";
            var chunk = Encoding.UTF8.GetBytes(new string(' ', 64 * 1024));
            await context.Response.Body.WriteAsync("""{"choices":["""u8.ToArray(), context.RequestAborted);
            try
            {
                while (!context.RequestAborted.IsCancellationRequested)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                    Interlocked.Add(ref sent, chunk.Length);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // The client hung up: what the test wants.
            }
        }, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), null, maxResponseBytes: Cap);

        await Assert.ThrowsAsync<ResponseTooLargeException>(async () => await handler.SendAsync(Call(), Ct));
    }

    [Fact]
    public async Task SendAsync_HugeContentLength_RefusedUnread()
    {
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            context.Response.ContentLength = 10L * 1024 * 1024 * 1024;
            await context.Response.Body.WriteAsync("""{"choices":[]}"""u8.ToArray());
            await context.Response.Body.FlushAsync();
            try
            {
                // Hold the connection open: the client must give up on the announced length alone.
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
        }, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), null, maxResponseBytes: Cap);

        var ex = await Assert.ThrowsAsync<ResponseTooLargeException>(async () => await handler.SendAsync(Call(), Ct));

        Assert.Contains("announced a body of 10,737,418,240 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_ErrorBodyPastTheCap_CutAndReturnedWithItsStatus()
    {
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            context.Response.StatusCode = 502;
            var page = Encoding.UTF8.GetBytes("<html>" + new string('x', 3 * 1024 * 1024));
            await context.Response.Body.WriteAsync(page, context.RequestAborted);
        }, Ct);
        using var handler = new HttpBatchHandler(server.Url("v1"), null, maxResponseBytes: Cap);

        var response = await handler.SendAsync(Call(), Ct);

        Assert.Equal(502, response.StatusCode);
        Assert.Equal(Cap, response.Body.Length);
    }

    [Fact]
    public async Task Run_AnswerPastTheCap_OneAttemptAndAClearErrorLine()
    {
        var bomb = GzipBomb(8 * 1024 * 1024);
        var requests = 0;
        await using var server = await LoopbackServer.StartAsync(c =>
        {
            Interlocked.Increment(ref requests);
            return Answer(c, bomb);
        }, Ct);
        using var dir = new TempDir();
        await File.WriteAllTextAsync(dir.File("in.jsonl"), TempFile.Chat("a") + "\n", Ct);
        using var provider = (HttpBatchHandler)BatchProviders.Http(server.Url("v1"), null, maxResponseBytes: Cap);
        var engine = new BatchEngineBuilder(provider).WithOptions(new BatchOptions { RetryBaseDelay = TimeSpan.Zero, RetryMaxDelay = TimeSpan.Zero }).Build();

        var result = await BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = dir.File("in.jsonl"), OutputPath = dir.File("out.jsonl") }, Ct);

        Assert.Equal(1, result.Summary.Failed);
        Assert.Equal(1, requests);
        var line = await File.ReadAllTextAsync(dir.File("out.jsonl"), Ct);
        Assert.Contains("--max-response-bytes", line, StringComparison.Ordinal);
        Assert.True(line.Length < 4096, $"{line.Length} characters");
    }

    [Fact]
    public void Http_CapOutOfRange_Refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchProviders.Http(new Uri("http://127.0.0.1:9/v1"), null, maxResponseBytes: 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchProviders.Http(new Uri("http://127.0.0.1:9/v1"), null, maxResponseBytes: 1L << 40));
    }

    [Theory]
    [InlineData("x-ratelimit-reset-requests", "1e300")]
    [InlineData("x-ratelimit-reset-tokens", "99999999999h")]
    [InlineData("x-ratelimit-limit-requests", "1e300")]
    [InlineData("x-ratelimit-remaining-tokens", "-1e300")]
    [InlineData("retry-after", "1e300")]
    [InlineData("retry-after-ms", "Infinity")]
    [InlineData("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")]
    public async Task Run_200WithAbsurdHeader_RecordedAsSuccess(string header, string value)
    {
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            context.Response.Headers[header] = value;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"choices":[{"message":{"content":"ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}""");
        }, Ct);
        using var provider = new HttpBatchHandler(server.Url("v1"), null);
        var engine = new BatchEngineBuilder(provider).Build();

        var results = new List<BatchResult>();
        await foreach (var r in engine.RunAsync(new[] { Call().Request, BatchRequest.Create("c2", "/v1/chat/completions", """{"model":"m","messages":[]}""") }.ToAsyncEnumerable(), Ct))
        {
            results.Add(r);
        }

        Assert.All(results, r => Assert.True(r.IsSuccess, r.Error?.Message));
    }

    [Fact]
    public async Task SendAsync_AzureKeyRedirectedToAnotherOrigin_KeyStaysBehind()
    {
        var seen = new ConcurrentQueue<(string Where, string? ApiKey, string? Authorization, string Method, string Body)>();
        await using var elsewhere = await LoopbackServer.StartAsync(async c => await Record(c, "elsewhere", seen, redirectTo: null), Ct);
        await using var origin = await LoopbackServer.StartAsync(async c => await Record(c, "origin", seen, redirectTo: $"http://attacker.example:{elsewhere.BaseUrl.Port}/steal"), Ct);
        using var client = HttpBatchHandler.CreateDefaultClient(ToLoopback);
        using var handler = new HttpBatchHandler(new Uri($"http://myres.openai.azure.com:{origin.BaseUrl.Port}/openai/v1"), Key, client);
        Assert.Equal("api-key", handler.AuthHeaderName);

        var response = await handler.SendAsync(Call(), Ct);

        Assert.Equal(200, response.StatusCode);
        var hops = seen.ToArray();
        Assert.Equal(["origin", "elsewhere"], hops.Select(h => h.Where));
        Assert.Equal(Key, hops[0].ApiKey);
        Assert.Null(hops[1].ApiKey);
        Assert.Null(hops[1].Authorization);
        // 307 keeps the method and the body; only credentials stay behind.
        Assert.Equal("POST", hops[1].Method);
        Assert.Contains("\"Hi\"", hops[1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_BearerKeyRedirectedToAnotherPort_KeyStaysBehind()
    {
        var seen = new ConcurrentQueue<(string Where, string? ApiKey, string? Authorization, string Method, string Body)>();
        await using var elsewhere = await LoopbackServer.StartAsync(async c => await Record(c, "elsewhere", seen, redirectTo: null), Ct);
        await using var origin = await LoopbackServer.StartAsync(async c => await Record(c, "origin", seen, redirectTo: new Uri(elsewhere.BaseUrl, "v1/chat/completions").ToString()), Ct);
        using var handler = new HttpBatchHandler(origin.Url("v1"), Key);

        await handler.SendAsync(Call(), Ct);

        var hops = seen.ToArray();
        Assert.Equal("Bearer " + Key, hops[0].Authorization);
        Assert.Null(hops[1].Authorization);
        Assert.Null(hops[1].ApiKey);
    }

    [Fact]
    public async Task SendAsync_RedirectWithinTheOrigin_KeyKept()
    {
        var seen = new ConcurrentQueue<(string Where, string? ApiKey, string? Authorization, string Method, string Body)>();
        await using var origin = await LoopbackServer.StartAsync(async c => await Record(c, c.Request.Path.Value!, seen, redirectTo: c.Request.Path.Value!.EndsWith("/moved", StringComparison.Ordinal) ? null : "/v2/moved"), Ct);
        using var client = HttpBatchHandler.CreateDefaultClient(ToLoopback);
        using var handler = new HttpBatchHandler(new Uri($"http://myres.openai.azure.com:{origin.BaseUrl.Port}/openai/v1"), Key, client);

        await handler.SendAsync(Call(), Ct);

        Assert.All(seen, h => Assert.Equal(Key, h.ApiKey));
        Assert.Equal(2, seen.Count);
    }

    [Fact]
    public async Task SendAsync_RedirectLoop_StopsAfterFiveHops()
    {
        var hits = 0;
        await using var origin = await LoopbackServer.StartAsync(context =>
        {
            Interlocked.Increment(ref hits);
            context.Response.StatusCode = 307;
            context.Response.Headers.Location = "/again";
            return Task.CompletedTask;
        }, Ct);
        using var handler = new HttpBatchHandler(origin.Url("v1"), Key);

        var response = await handler.SendAsync(Call(), Ct);

        Assert.Equal(307, response.StatusCode);
        Assert.Equal(1 + CredentialSafeRedirectHandler.MaxRedirects, hits);
    }

    private static async Task Record(HttpContext context, string where, ConcurrentQueue<(string, string?, string?, string, string)> seen, string? redirectTo)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers;
        seen.Enqueue((where, headers.TryGetValue("api-key", out var k) ? k.ToString() : null, headers.Authorization.Count > 0 ? headers.Authorization.ToString() : null, context.Request.Method, body));
        if (redirectTo is not null)
        {
            context.Response.StatusCode = 307;
            context.Response.Headers.Location = redirectTo;
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("""{"choices":[]}""");
    }

    // Every host name resolves to loopback, on the port the URL names: an Azure or attacker host without DNS.
    private static async ValueTask<Stream> ToLoopback(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
