using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LlmBatch.Input;
using Microsoft.AspNetCore.Http;

namespace LlmBatch.Simulator;

/// <summary>
/// The whole request pipeline, in the order a provider applies it: authentication, validation, rate limits
/// (a 429 is not a fault), capacity, then the injected fault, latency and the deterministic answer.
/// </summary>
internal sealed class SimulatorHandler : IDisposable
{
    private const string ChatPath = EndpointPaths.ChatCompletions;
    private const string CompletionsPath = EndpointPaths.Completions;
    private const string EmbeddingsPath = EndpointPaths.Embeddings;
    private const string ModelsPath = EndpointPaths.Models;
    private const string ClientClosed = "client closed the connection";

    private readonly SimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly byte[]? _apiKey;
    private readonly IRateLimiter? _limiter;
    private readonly CapacityGate _gate;
    private readonly FaultInjector _faults;
    private readonly LatencyModel _latency;
    private readonly ContinuousBatching? _batching;
    private readonly ContentGenerator _content;
    private readonly ModelAnswer _answers;
    private readonly BatchEndpoints _batchApi;
    private readonly CancellationTokenSource _stopping = new();
    private readonly string _limitRequests;
    private readonly string _limitTokens;
    private long _requestCounter;

    public SimulatorHandler(SimulatorOptions options)
    {
        _options = options;
        _time = options.TimeProvider;
        _apiKey = options.ApiKey is null ? null : Encoding.UTF8.GetBytes(options.ApiKey);
        _limiter = options.RequestsPerMinute == 0 && options.TokensPerMinute == 0
            ? null
            : options.Azure ? new AzureRateLimiter(options) : new OpenAiRateLimiter(options);
        _limitRequests = options.RequestsPerMinute.ToString(CultureInfo.InvariantCulture);
        _limitTokens = options.TokensPerMinute.ToString(CultureInfo.InvariantCulture);
        _gate = new CapacityGate(options);
        _faults = new FaultInjector(options);
        _latency = new LatencyModel(options);
        _batching = options.Saturation > 0 ? new ContinuousBatching(options) : null;
        _content = new ContentGenerator(options);
        _answers = new ModelAnswer(options, _content, _time);
        Stats = new StatsCollector(options.TimeProvider);
        _batchApi = new BatchEndpoints(new BatchService(options, _answers, Stats), Authenticate);
    }

    public StatsCollector Stats { get; }

    public async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        var id = Interlocked.Increment(ref _requestCounter);
        response.Headers["x-request-id"] = "req_sim_" + id.ToString("x8", CultureInfo.InvariantCulture);
        var path = context.Request.Path.Value ?? "";
        var post = HttpMethods.IsPost(context.Request.Method);
        if (path.StartsWith("/stats", StringComparison.Ordinal))
        {
            await StatsAsync(context, path, post).ConfigureAwait(false);
            return;
        }

        var batchApi = BatchEndpoints.StatsPath(path);
        var endpoint = path switch
        {
            ChatPath or CompletionsPath or EmbeddingsPath or ModelsPath => path,
            _ => batchApi ?? "other",
        };
        Stats.EnterRequest();
        var status = 0;

        // A request is counted the moment its answer starts, under the status it answers with, not after the handler
        // returns: a client that has read its last answer then reads stats that include it (counting in the finally
        // below, a test read 3,9xx of 4,000 requests on a loaded machine). Requests that never start an answer (reset,
        // hang, client gone) are counted in the finally.
        // Counted once, by whichever comes first: a handler that ends without answering (the client gone) is counted
        // in the finally, and the server then starts an empty default response whose callback must not count it
        // again as a 200 (seen: 8 aborted requests counted twice).
        var recorded = 0;
        response.OnStarting(() =>
        {
            if (Interlocked.Exchange(ref recorded, 1) == 0)
            {
                Stats.Record(endpoint, response.StatusCode);
            }

            return Task.CompletedTask;
        });

        // Stopping the server ends held requests (hangs, queued ones) at once instead of waiting them out.
        using var stopping = _stopping.Token.Register(static c => ((HttpContext)c!).Abort(), context);
        try
        {
            // The Files and Batches APIs (/v1/files, /v1/batches and Azure's /openai/... forms) live in Batches/.
            status = batchApi is not null ? await _batchApi.HandleAsync(context, path).ConfigureAwait(false) : (path, post) switch
            {
                (ChatPath, true) => await ModelRequestAsync(context, BatchEndpointKind.ChatCompletions, path).ConfigureAwait(false),
                (CompletionsPath, true) => await ModelRequestAsync(context, BatchEndpointKind.Completions, path).ConfigureAwait(false),
                (EmbeddingsPath, true) => await ModelRequestAsync(context, BatchEndpointKind.Embeddings, path).ConfigureAwait(false),
                (ModelsPath, false) when HttpMethods.IsGet(context.Request.Method) => await ModelsAsync(context).ConfigureAwait(false),
                _ => await ErrorAsync(response, 404, $"Invalid URL ({context.Request.Method} {path})", "invalid_request_error", null, null, context.RequestAborted).ConfigureAwait(false),
            };
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client gave up (its timeout, or a cancelled run): nginx's 499 names this outcome.
            status = 499;
            context.Abort();
        }
        catch (IOException) when (context.RequestAborted.IsCancellationRequested)
        {
            status = 499;
        }
        finally
        {
            Stats.ExitRequest();
            if (Interlocked.Exchange(ref recorded, 1) == 0)
            {
                Stats.Record(endpoint, status);
            }
        }
    }

    private async Task<int> ModelRequestAsync(HttpContext context, BatchEndpointKind kind, string path)
    {
        var ct = context.RequestAborted;
        var response = context.Response;
        var (apiKey, authError) = Authenticate(context.Request);
        if (authError is not null)
        {
            return await ErrorAsync(response, 401, authError, "invalid_request_error", null, apiKey is null ? null : "invalid_api_key", ct).ConfigureAwait(false);
        }

        var body = await RequestBody.ReadAsync(context.Request, ct).ConfigureAwait(false);
        var invalid = _answers.Parse(kind, path, body, out var request, out var promptTokens);
        if (invalid is not null)
        {
            return await ErrorAsync(response, 400, invalid.Message, "invalid_request_error", invalid.Param, invalid.Code, ct).ConfigureAwait(false);
        }

        var maxTokens = _answers.MaxTokens(request);
        long cost = promptTokens + (kind == BatchEndpointKind.Embeddings ? 0 : maxTokens);
        var keyName = apiKey ?? "anonymous";
        var requestHash = _answers.RequestHash(body);
        var keyHash = ModelAnswer.KeyHash(requestHash, keyName);

        if (_limiter is not null)
        {
            var decision = _limiter.Admit(keyName, cost);
            WriteRateHeaders(response.Headers, decision);
            if (!decision.Admitted)
            {
                Stats.RateLimited(decision.Rejected);
                return await RateLimitedAsync(response, kind, request.Model, decision, ct).ConfigureAwait(false);
            }
        }

        Stats.Admitted(cost);
        if (!await _gate.EnterAsync(ct).ConfigureAwait(false))
        {
            Stats.CapacityRejected();
            return _options.Overflow == SimulatorOverflow.Reject429
                ? await ErrorAsync(response, 429, "Model is overloaded", "overloaded", null, null, ct).ConfigureAwait(false)
                : await ErrorAsync(response, 503, "The server is overloaded or not ready yet.", "server_error", null, null, ct).ConfigureAwait(false);
        }

        try
        {
            var fault = _faults.Decide(keyHash);
            if (fault.Kind != FaultKind.None)
            {
                Stats.Fault(fault.Kind);
            }

            var slow = fault.Kind == FaultKind.Slow;
            var firstToken = _latency.FirstToken(fault.JitterNormal, slow);
            switch (fault.Kind)
            {
                case FaultKind.Reset:
                    context.Abort();
                    return 0;
                case FaultKind.Hang:
                    await _latency.DelayAsync(_options.HangDuration, ct).ConfigureAwait(false);
                    context.Abort();
                    return 0;
                case FaultKind.Error500:
                    await _latency.DelayAsync(firstToken, ct).ConfigureAwait(false);
                    return await ErrorAsync(response, 500, "The server had an error while processing your request. Sorry about that!", "server_error", null, null, ct).ConfigureAwait(false);
                case FaultKind.Error503:
                    await _latency.DelayAsync(firstToken, ct).ConfigureAwait(false);
                    return await ErrorAsync(response, 503, "The server is overloaded or not ready yet.", "server_error", null, null, ct).ConfigureAwait(false);
                case FaultKind.Error529:
                    await _latency.DelayAsync(firstToken, ct).ConfigureAwait(false);
                    return await ErrorAsync(response, 529, "The engine is currently overloaded, please try again later.", "overloaded_error", null, null, ct).ConfigureAwait(false);
                default:
                    break;
            }

            var truncate = fault.Kind == FaultKind.Truncate;
            if (kind == BatchEndpointKind.Embeddings)
            {
                await _latency.DelayAsync(firstToken, ct).ConfigureAwait(false);
                var buffer = _answers.Embedding(request, promptTokens);

                // Counted before it is sent, as a provider bills an answer it has produced (and so that stats read
                // after the answer arrived include it).
                if (!truncate)
                {
                    Stats.Success(keyHash, promptTokens, 0);
                }

                await WriteJsonAsync(response, 200, buffer, truncate, ct).ConfigureAwait(false);
                return 200;
            }

            var plan = _answers.Plan(request, requestHash);
            if (request.Stream)
            {
                await StreamAsync(response, request, ModelAnswer.ResponseId(kind, requestHash), _answers.Created(), plan, requestHash, promptTokens, firstToken, slow, truncate, ct).ConfigureAwait(false);
            }
            else
            {
                if (_batching is not null)
                {
                    await _latency.DelayAsync(firstToken, ct).ConfigureAwait(false);
                    await _batching.DecodeAsync(plan.Longest, slow ? _options.SlowFactor : 1, ct).ConfigureAwait(false);
                }
                else
                {
                    await _latency.DelayAsync(firstToken + _latency.ForTokens(plan.Longest, slow), ct).ConfigureAwait(false);
                }

                var buffer = _answers.Completion(request, plan, requestHash, promptTokens);
                if (!truncate)
                {
                    Stats.Success(keyHash, promptTokens, plan.Total);
                }

                await WriteJsonAsync(response, 200, buffer, truncate, ct).ConfigureAwait(false);
                return 200;
            }

            if (!truncate)
            {
                Stats.Success(keyHash, promptTokens, plan.Total);
            }

            return 200;
        }
        finally
        {
            _gate.Exit();
        }
    }

    private async Task StreamAsync(
        HttpResponse response, ParsedRequest request, string id, long created, CompletionPlan plan, ulong requestHash,
        int promptTokens, TimeSpan firstToken, bool slow, bool truncate, CancellationToken ct)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        await _latency.DelayAsync(firstToken, ct).ConfigureAwait(false);

        // Tokens are grouped so that each wait is at least ~10 ms: finer timers cost more than they simulate.
        var perToken = _latency.ForTokens(1, slow);
        var group = perToken > TimeSpan.Zero ? Math.Max(1, (int)Math.Ceiling(10 / perToken.TotalMilliseconds)) : int.MaxValue;
        var stopAfter = truncate ? Math.Max(1, plan.Total / 2) : int.MaxValue;
        var sent = 0;
        var pipe = response.BodyWriter;
        using var sse = new SseWriter(pipe, request, id, created);
        var chat = request.Endpoint == BatchEndpointKind.ChatCompletions;
        var text = new StringBuilder();
        for (var choice = 0; choice < plan.Tokens.Length; choice++)
        {
            if (chat)
            {
                sse.Chunk(choice, role: true, null, null);
            }

            var words = _content.WordStream(requestHash, choice);
            var tokens = plan.Tokens[choice];
            for (var i = 0; i < tokens; i++)
            {
                text.Append(ContentGenerator.WordAt(ref words, i));
                sent++;
                if (sent >= stopAfter)
                {
                    // A cut stream: well framed, but the JSON chunk ends mid-object and no [DONE] follows.
                    var cut = new ArrayBufferWriter<byte>(512);
                    using (var last = new SseWriter(cut, request, id, created))
                    {
                        last.Chunk(choice, role: false, text.ToString(), null);
                    }

                    pipe.Write(cut.WrittenSpan[..(cut.WrittenCount / 2)]);
                    await pipe.FlushAsync(ct).ConfigureAwait(false);
                    return;
                }

                if (perToken > TimeSpan.Zero && (i + 1) % group == 0)
                {
                    sse.Chunk(choice, role: false, text.ToString(), null);
                    text.Clear();
                    await pipe.FlushAsync(ct).ConfigureAwait(false);
                    await _latency.DelayAsync(perToken * group, ct).ConfigureAwait(false);
                }
                else if (perToken <= TimeSpan.Zero)
                {
                    sse.Chunk(choice, role: false, text.ToString(), null);
                    text.Clear();
                }
            }

            if (text.Length > 0)
            {
                sse.Chunk(choice, role: false, text.ToString(), null);
                text.Clear();
            }

            sse.Chunk(choice, role: false, null, plan.Capped[choice] ? "length" : "stop");
        }

        if (request.IncludeUsage)
        {
            sse.Usage(promptTokens, plan.Total);
        }

        sse.Done();
        await pipe.FlushAsync(ct).ConfigureAwait(false);
    }

    private async Task<int> ModelsAsync(HttpContext context)
    {
        var (apiKey, authError) = Authenticate(context.Request);
        if (authError is not null)
        {
            return await ErrorAsync(context.Response, 401, authError, "invalid_request_error", null, apiKey is null ? null : "invalid_api_key", context.RequestAborted).ConfigureAwait(false);
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        ModelListWriter.Write(buffer, _options.Models);
        await WriteJsonAsync(context.Response, 200, buffer, false, context.RequestAborted).ConfigureAwait(false);
        return 200;
    }

    private async Task StatsAsync(HttpContext context, string path, bool post)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        if (path == "/stats" && HttpMethods.IsGet(context.Request.Method))
        {
            StatsJson.Write(buffer, Stats.Snapshot());
            await WriteJsonAsync(context.Response, 200, buffer, false, context.RequestAborted).ConfigureAwait(false);
        }
        else if (path == "/stats/reset" && post)
        {
            Stats.Reset();
            context.Response.StatusCode = 204;
        }
        else
        {
            await ErrorAsync(context.Response, 404, $"Invalid URL ({context.Request.Method} {path})", "invalid_request_error", null, null, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>The caller's key (Bearer token or <c>api-key</c> header) and, when a key is required and this one is wrong, the 401 message.</summary>
    private (string? Key, string? Error) Authenticate(HttpRequest request)
    {
        string? key = null;
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = authorization[7..].Trim();
        }
        else if (request.Headers.TryGetValue("api-key", out var azureKey) && azureKey.Count > 0)
        {
            key = azureKey.ToString().Trim();
        }

        if (key is { Length: 0 })
        {
            key = null;
        }

        if (_apiKey is null)
        {
            return (key, null);
        }

        if (key is null)
        {
            return (null, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
        }

        // The key is never echoed back: it must not end up in a client's logs.
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), _apiKey)
            ? (key, null)
            : (key, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.");
    }

    private void WriteRateHeaders(IHeaderDictionary headers, in RateDecision d)
    {
        if (_options.Azure)
        {
            if (d.LimitRequests > 0)
            {
                headers["x-ratelimit-remaining-requests"] = d.RemainingRequests.ToString(CultureInfo.InvariantCulture);
            }

            if (d.LimitTokens > 0)
            {
                headers["x-ratelimit-remaining-tokens"] = d.RemainingTokens.ToString(CultureInfo.InvariantCulture);
            }
        }
        else
        {
            if (d.LimitRequests > 0)
            {
                headers["x-ratelimit-limit-requests"] = _limitRequests;
                headers["x-ratelimit-remaining-requests"] = d.RemainingRequests.ToString(CultureInfo.InvariantCulture);
                headers["x-ratelimit-reset-requests"] = GoDuration.Format(d.ResetRequests);
            }

            if (d.LimitTokens > 0)
            {
                headers["x-ratelimit-limit-tokens"] = _limitTokens;
                headers["x-ratelimit-remaining-tokens"] = d.RemainingTokens.ToString(CultureInfo.InvariantCulture);
                headers["x-ratelimit-reset-tokens"] = GoDuration.Format(d.ResetTokens);
            }
        }

        if (!d.Admitted)
        {
            var ms = Math.Max(1, (long)Math.Ceiling(d.RetryAfter.TotalMilliseconds));
            headers["retry-after"] = ((ms + 999) / 1000).ToString(CultureInfo.InvariantCulture);
            headers["retry-after-ms"] = ms.ToString(CultureInfo.InvariantCulture);
            if (_options.Azure)
            {
                headers["x-ms-retry-after-ms"] = ms.ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    private async Task<int> RateLimitedAsync(HttpResponse response, BatchEndpointKind kind, string model, RateDecision decision, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        if (_options.Azure)
        {
            var seconds = (long)Math.Ceiling(Math.Max(0.001, decision.RetryAfter.TotalSeconds));
            ErrorBodies.AzureRateLimited(buffer, kind, decision, seconds);
        }
        else
        {
            ErrorBodies.RateLimited(buffer, model, decision);
        }

        await WriteJsonAsync(response, 429, buffer, false, ct).ConfigureAwait(false);
        return 429;
    }

    private static async Task<int> ErrorAsync(HttpResponse response, int status, string message, string type, string? param, string? code, CancellationToken ct)
    {
        var buffer = ModelAnswer.Error(message, type, param, code);
        await WriteJsonAsync(response, status, buffer, false, ct).ConfigureAwait(false);
        return status;
    }

    /// <summary>
    /// Sends a JSON body. A truncated body is sent with a Content-Length of half its size: the framing is valid,
    /// so the client reads a complete 200 response whose JSON is cut mid-way.
    /// </summary>
    private static async Task WriteJsonAsync(HttpResponse response, int status, ArrayBufferWriter<byte> buffer, bool truncate, CancellationToken ct)
    {
        var body = buffer.WrittenMemory;
        if (truncate)
        {
            body = body[..(body.Length / 2)];
        }

        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        await response.BodyWriter.WriteAsync(body, ct).ConfigureAwait(false);
    }

    /// <summary>Aborts every request still being handled; called when the server stops.</summary>
    public void AbortAll() => _stopping.Cancel();

    public void Dispose()
    {
        _stopping.Dispose();
        _gate.Dispose();
    }
}
