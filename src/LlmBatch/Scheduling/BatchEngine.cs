using System.Runtime.CompilerServices;
using System.Threading.Channels;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Packing;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using LlmBatch.Resilience;
using LlmBatch.Telemetry;
using Microsoft.Extensions.Logging;

namespace LlmBatch;

/// <summary>
/// The dispatcher. Requests are pulled from the input only when a concurrency slot is free (the semaphore is the
/// bound), each runs through the handler pipeline (circuit breaker → item deadline → reuse → retry → cost → rate limit →
/// timeout → counters → telemetry → provider),
/// and its final outcome goes to a bounded channel that the caller drains. No queue between the file and the socket
/// is unbounded: a slow consumer stops the dispatcher, which stops reading the input.
/// </summary>
internal sealed class BatchEngine : IBatchEngine
{
    private readonly BatchOptions _options;
    private readonly TimeProvider _time;
    private readonly ResourceController _controller;
    private readonly MemoryGuard? _memory;
    private readonly TokenCounter _tokens;
    private readonly RunCounters _counters;
    private readonly ILogger _logger;
    private readonly RunCircuitBreakerHandler _breaker;
    private long _runStarted;

    // Written by concurrent items and the stall watchdog: the first fatal error wins (Interlocked), later ones are dropped.
    private Exception? _fatal;
    private int _running;
    private CancellationTokenSource? _dispatchStop;

    public BatchEngine(
        IBatchHandler pipeline,
        BatchOptions options,
        TimeProvider time,
        ResourceController controller,
        RunCounters counters,
        TokenCounter tokens,
        ILogger logger)
    {
        _breaker = new RunCircuitBreakerHandler(pipeline, options, counters);
        _options = options;
        _time = time;
        _controller = controller;
        _counters = counters;
        _tokens = tokens;
        _logger = logger;
        _memory = options.MaxMemoryBytes is { } max ? new MemoryGuard(max, time) : null;
        _runStarted = time.GetTimestamp();
    }

    /// <summary>Disposes the pipeline: every layer passes it down, so the controller and the provider go with it.</summary>
    public void Dispose() => _breaker.Dispose();

    /// <summary>The outermost handler, for tests that ask the pipeline for a layer.</summary>
    internal IBatchHandler Pipeline => _breaker;

    /// <summary>The memory guard, when <see cref="BatchOptions.MaxMemoryBytes"/> is set.</summary>
    internal MemoryGuard? Memory => _memory;

    public void StopDispatch()
    {
        _controller.StopAdmitting();
        try
        {
            Volatile.Read(ref _dispatchStop)?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run ended meanwhile.
        }
    }

    private bool DispatchStopped => Volatile.Read(ref _dispatchStop)?.IsCancellationRequested == true;

    private bool NeedsTokenCounts => _options.TokensPerMinute is not null || _controller.TokensPerMinuteLimit is not null;

    public BatchProgress GetProgress() =>
        _counters.Snapshot(
            _time.GetElapsedTime(_runStarted),
            _controller.WaitingCount,
            _controller.RequestsPerMinuteLimit,
            _controller.TokensPerMinuteLimit,
            _controller.PausedUntil) with
        {
            IntakePaused = _memory?.PausedTime ?? TimeSpan.Zero,
            PeakMemoryBytes = _memory?.PeakBytes,
            ConcurrencyLimit = _controller.ConcurrencyLimit,
            ConcurrencyAdapts = _controller.ConcurrencyAdapts,
            ConcurrencyTimeline = _controller.ConcurrencyTimeline(),
        };

    private void SetFatal(Exception error) => Interlocked.CompareExchange(ref _fatal, error, null);

    public async IAsyncEnumerable<BatchResult> RunAsync(IAsyncEnumerable<BatchRequest> requests, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            // Progress and the stop-on-failure rules are per run; two runs at once would mix them.
            throw new InvalidOperationException("This engine is already running a batch; build another engine (sharing the provider) for a concurrent batch.");
        }

        try
        {
            await foreach (var result in RunCoreAsync(requests, cancellationToken).ConfigureAwait(false))
            {
                yield return result;
            }
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async IAsyncEnumerable<BatchResult> RunCoreAsync(IAsyncEnumerable<BatchRequest> requests, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _runStarted = _time.GetTimestamp();
        Volatile.Write(ref _fatal, null);
        _breaker.Reset();
        _counters.MarkProgress(_runStarted);
        _controller.ResumeAdmitting();
        using var dispatchStop = new CancellationTokenSource();
        Volatile.Write(ref _dispatchStop, dispatchStop);

        if (_options.TokensPerMinute is not null)
        {
            // Every request will be counted: load the vocabulary while the first ones are read, not in front of them.
            _ = Task.Run(_tokens.WarmUp, CancellationToken.None);
        }

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var results = Channel.CreateBounded<BatchResult>(new BoundedChannelOptions(_options.MaxConcurrency)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var gauges = LlmBatchTelemetry.ObserveProgress(GetProgress);
        using var watchdog = StartStallWatchdog(abort);
        var dispatcher = Task.Run(() => DispatchAsync(requests, results.Writer, abort), CancellationToken.None);
        var finished = false;
        try
        {
            // Results are read without the caller's token: items that completed before a cancellation still
            // reach the caller (and the output file) instead of being paid for and thrown away.
            while (await results.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (results.Reader.TryRead(out var result))
                {
                    yield return result;
                }
            }

            finished = true;
        }
        finally
        {
            if (!finished)
            {
                // The caller stopped enumerating: stop everything and let the dispatcher drain.
                await abort.CancelAsync().ConfigureAwait(false);
                while (await results.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    while (results.Reader.TryRead(out _))
                    {
                    }
                }
            }

            await dispatcher.ConfigureAwait(false);
        }

        if (Volatile.Read(ref _fatal) is { } fatal)
        {
            throw fatal;
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Checks now and then that the run still makes progress while the server refuses (see
    /// <see cref="BatchOptions.StallTimeout"/>); when it has not for that long, stops the run with
    /// <see cref="BatchStalledException"/>. Items on the wire are abandoned, so nothing is written for them.
    /// </summary>
    private ITimer StartStallWatchdog(CancellationTokenSource abort)
    {
        var limit = _options.StallTimeout;
        var period = TimeSpan.FromTicks(Math.Clamp(limit.Ticks / 10, TimeSpan.TicksPerSecond / 10, TimeSpan.TicksPerSecond * 10));
        return _time.CreateTimer(
            _ =>
            {
                if (_counters.StalledFor(_time.GetTimestamp(), _time.TimestampFrequency) is { } stalled && stalled >= limit)
                {
                    SetFatal(new BatchStalledException(stalled, _counters.LastThrottleStatus));
                    StopDispatch();
                    try
                    {
                        abort.Cancel();
                    }
                    catch (ObjectDisposedException)
                    {
                        // The run ended meanwhile.
                    }
                }
            },
            null,
            period,
            period);
    }

    private async Task DispatchAsync(IAsyncEnumerable<BatchRequest> requests, ChannelWriter<BatchResult> writer, CancellationTokenSource abort)
    {
        var max = _options.MaxConcurrency;
        using var slots = new SemaphoreSlim(max, max);
        using var packedItems = new SemaphoreSlim(MaxPackedItemsInProgress, MaxPackedItemsInProgress);
        var packer = PackingOptions.From(_options.PackSize) is { } packing ? new EmbeddingPacker(packing, _tokens) : null;
        using var dispatch = CancellationTokenSource.CreateLinkedTokenSource(abort.Token, _dispatchStop!.Token);
        Exception? inputError = null;
        var input = requests.GetAsyncEnumerator(dispatch.Token);
        try
        {
            while (true)
            {
                var next = input.MoveNextAsync();
                bool more;
                if (next.IsCompleted || packer?.HasPending != true)
                {
                    more = await next.ConfigureAwait(false);
                }
                else
                {
                    // Nothing more is ready yet: wait a moment for it, then send what has gathered rather than hold it
                    // for a slow source (a file's next line is almost always ready at once).
                    var pending = next.AsTask();
                    using var linger = CancellationTokenSource.CreateLinkedTokenSource(dispatch.Token);
                    if (await Task.WhenAny(pending, Task.Delay(PackLinger, _time, linger.Token)).ConfigureAwait(false) != pending)
                    {
                        await LaunchPackAsync(packer.TakePending()!).ConfigureAwait(false);
                    }

                    await linger.CancelAsync().ConfigureAwait(false);
                    more = await pending.ConfigureAwait(false);
                }

                if (!more)
                {
                    break;
                }

                var request = input.Current;
                if (_memory is not null)
                {
                    await _memory.WaitForRoomAsync(dispatch.Token).ConfigureAwait(false);
                }

                if (packer is not null && packer.TryAdd(request, out var ready))
                {
                    // Vectors of packed items are held until the whole pack is answered: bound how many wait.
                    await packedItems.WaitAsync(dispatch.Token).ConfigureAwait(false);
                    if (ready is not null)
                    {
                        await LaunchPackAsync(ready).ConfigureAwait(false);
                    }

                    continue;
                }

                await slots.WaitAsync(dispatch.Token).ConfigureAwait(false);
                _ = RunItemAsync(request, writer, slots, abort);
            }

            if (packer?.TakePending() is { } last)
            {
                await LaunchPackAsync(last).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (dispatch.IsCancellationRequested)
        {
            // Stopped: nothing more is read; items on the wire finish below (or are abandoned on abort). A pack still
            // gathering was never sent: its items have no line, and a rerun sends them.
        }
        catch (Exception ex)
        {
            // The input failed mid-run (for example a file changed after validation): stop, keep what finished.
            inputError = ex;
            await abort.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            await input.DisposeAsync().ConfigureAwait(false);
        }

        // Every slot back means every item has ended and written its result.
        for (var i = 0; i < max; i++)
        {
            await slots.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        if (inputError is not null)
        {
            SetFatal(inputError);
        }

        writer.TryComplete();

        async Task LaunchPackAsync(EmbeddingPack pack)
        {
            await slots.WaitAsync(dispatch.Token).ConfigureAwait(false);
            _ = RunPackAsync(pack, writer, slots, packedItems, abort);
        }
    }

    /// <summary>
    /// Packed items whose vectors may be in memory at once: 8,192 vectors of 1,536 floats are about 130 MB of JSON,
    /// however high the concurrency a fast server allows.
    /// </summary>
    private const int MaxPackedItemsInProgress = 8_192;

    /// <summary>How long a gathering pack waits for a slow source's next request before it is sent as it is.</summary>
    private static readonly TimeSpan PackLinger = TimeSpan.FromMilliseconds(20);

    private async Task RunPackAsync(EmbeddingPack pack, ChannelWriter<BatchResult> writer, SemaphoreSlim slots, SemaphoreSlim packedItems, CancellationTokenSource abort)
    {
        try
        {
            foreach (var result in await ProcessPackAsync(pack, abort).ConfigureAwait(false))
            {
                _counters.ItemCompleted(result, _time.GetTimestamp());
                LlmBatchTelemetry.RecordItemCompleted(result);
                await writer.WriteAsync(result, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // ProcessPackAsync turns every failure into results; reaching here is a bug, never a lost item silently.
            _logger.LogError(ex, "Unexpected failure processing the pack from {CustomId}", pack.Members[0].Request.CustomId);
            SetFatal(ex);
            await abort.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            packedItems.Release(pack.Members.Count);
            slots.Release();
        }
    }

    private async Task RunItemAsync(BatchRequest request, ChannelWriter<BatchResult> writer, SemaphoreSlim slots, CancellationTokenSource abort)
    {
        try
        {
            var result = await ProcessAsync(request, abort).ConfigureAwait(false);
            if (result is not null)
            {
                _counters.ItemCompleted(result, _time.GetTimestamp());
                LlmBatchTelemetry.RecordItemCompleted(result);
                await writer.WriteAsync(result, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // ProcessAsync turns every failure into a result; reaching here is a bug, never a lost item silently.
            _logger.LogError(ex, "Unexpected failure processing {CustomId}", request.CustomId);
            SetFatal(ex);
            await abort.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task<BatchResult?> ProcessAsync(BatchRequest request, CancellationTokenSource abort)
    {
        // Prompt tokens are counted up front only when a token budget needs them: the vocabulary costs ~50 MB and a
        // quarter second to load, and a server that reports usage never needs it otherwise.
        var call = new BatchCall(request)
        {
            EstimatedPromptTokens = NeedsTokenCounts ? _tokens.CountPromptTokens(request) : -1,
            StartedAt = _time.GetUtcNow(),
        };

        return await SendAsync(call, abort).ConfigureAwait(false) switch
        {
            { Response: { } response } => FromResponse(call, response),
            { Error: { } error } => Failure(call, error.Code, error.Message),
            _ => null,
        };
    }

    /// <summary>
    /// Sends a pack and turns its answer into one result per member. A pack the server refuses as a request (a 400
    /// for one input too long, say) is split in halves and each half sent again, so one bad input fails alone and
    /// the rest succeed in a few more requests; any other failure is every member's.
    /// </summary>
    private async Task<IReadOnlyList<BatchResult>> ProcessPackAsync(EmbeddingPack pack, CancellationTokenSource abort)
    {
        var call = new BatchCall(pack.ToRequest()) { EstimatedPromptTokens = (int)Math.Min(int.MaxValue, pack.Tokens), StartedAt = _time.GetUtcNow() };
        var outcome = await SendAsync(call, abort).ConfigureAwait(false);
        if (outcome is null)
        {
            return [];
        }

        var members = pack.Members;
        var results = new List<BatchResult>(members.Count);
        if (outcome.Value.Response is { } ok && ok.IsValidSuccess(BatchEndpointKind.Embeddings))
        {
            var usage = ok.Facts;
            var reported = usage.UsageReported;
            var split = PackedResponseSplitter.Split(pack, ok.Body.Span, reported ? usage.PromptTokens : -1);
            for (var i = 0; i < members.Count; i++)
            {
                var (body, tokens) = split[i];
                var error = body.Length == 0 ? new BatchError("invalid_response", $"HTTP {ok.StatusCode}: the answer to the packed request has no vector for this input.") : null;
                results.Add(Member(call, members[i], i, members.Count, ok, body, error, tokens, reported));
            }

            return results;
        }

        if (members.Count > 1 && outcome.Value.Response is { } refused && RefusedAsARequest(refused.StatusCode))
        {
            var half = members.Count / 2;
            results.AddRange(await ProcessPackAsync(pack.Slice(0, half), abort).ConfigureAwait(false));
            results.AddRange(await ProcessPackAsync(pack.Slice(half, members.Count - half), abort).ConfigureAwait(false));
            return results;
        }

        for (var i = 0; i < members.Count; i++)
        {
            if (outcome.Value.Response is { } failed)
            {
                var error = failed.StatusCode is >= 200 and < 300
                    ? new BatchError("invalid_response", $"HTTP {failed.StatusCode} with a body that is not a valid {call.Request.Url} response.")
                    : new BatchError("http_" + failed.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture), ErrorMessageReader.Read(failed.Body.Span, failed.StatusCode));
                results.Add(Member(call, members[i], i, members.Count, failed, failed.Body, error, members[i].Tokens, false));
            }
            else
            {
                results.Add(Member(call, members[i], i, members.Count, null, default, outcome.Value.Error, members[i].Tokens, false));
            }
        }

        return results;
    }

    /// <summary>A client error about the request itself (not about the key, the rate or a conflict): another split may pass.</summary>
    private static bool RefusedAsARequest(int status) => status is 400 or 413 or 422;

    /// <summary>
    /// Sends a call through the pipeline. The run-wide rules are layers: the item deadline is the outer timeout layer
    /// (<see cref="ItemDeadlineHandler"/>) and a bad key, an exhausted quota or an endpoint never reached opens the run's
    /// circuit (<see cref="RunCircuitBreakerHandler"/>), which stops the run here. Returns null when nothing must be
    /// written (a stop, an abort, an open circuit), else the response or the error that ended the call.
    /// </summary>
    private async Task<SendOutcome?> SendAsync(BatchCall call, CancellationTokenSource abort)
    {
        try
        {
            if (DispatchStopped)
            {
                return null;
            }

            return new SendOutcome(await _breaker.SendAsync(call, abort.Token).ConfigureAwait(false), null);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            return null;
        }
        catch (DispatchStoppedException)
        {
            // Refused before it was sent: no cost, no line; a rerun sends it.
            return null;
        }
        catch (RunCircuitOpenException open)
        {
            // The run, not the item, is failing: stop, and record nothing so a rerun sends every item.
            SetFatal(open.Reason);
            await abort.CancelAsync().ConfigureAwait(false);
            return null;
        }
        catch (Exception ex)
        {
            return new SendOutcome(null, new BatchError(RetryClassifier.ErrorCode(ex), ex.Message));
        }
    }

    /// <summary>How a call ended: with a response (whatever its status) or with an error and no response.</summary>
    private readonly record struct SendOutcome(BatchResponse? Response, BatchError? Error);

    private BatchResult Member(BatchCall call, in PackMember member, int index, int size, BatchResponse? response, ReadOnlyMemory<byte> body, BatchError? error, int promptTokens, bool reported)
    {
        var request = member.Request;
        return new BatchResult
        {
            CustomId = request.CustomId,
            Id = CustomIdHash.ToResultId(request.CustomId),
            StatusCode = response?.StatusCode ?? 0,
            RequestId = response?.RequestId,
            ResponseBody = body,
            Error = error,
            LineNumber = request.LineNumber,
            Stats = Stats(call, promptTokens, 0, reported, response, 0) with { Model = request.Model, PackSize = size, PackIndex = index },
        };
    }

    private BatchResult FromResponse(BatchCall call, BatchResponse response)
    {
        var body = response.Body;
        var facts = response.Facts;
        var reported = facts.UsageReported;
        BatchError? error = null;
        if (response.StatusCode is >= 200 and < 300)
        {
            if (!facts.HasShapeOf(call.Request.Endpoint))
            {
                error = new BatchError("invalid_response", $"HTTP {response.StatusCode} with a body that is not a valid {call.Request.Url} response.");
            }
        }
        else
        {
            error = new BatchError("http_" + response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture), ErrorMessageReader.Read(body.Span, response.StatusCode));
        }

        return new BatchResult
        {
            CustomId = call.Request.CustomId,
            Id = CustomIdHash.ToResultId(call.Request.CustomId),
            StatusCode = response.StatusCode,
            RequestId = response.RequestId,
            ResponseBody = body,
            Error = error,
            LineNumber = call.Request.LineNumber,
            Stats = Stats(call, reported ? facts.PromptTokens : PromptTokens(call), facts.CompletionTokens, reported, response, facts.CachedPromptTokens),
        };
    }

    private BatchResult Failure(BatchCall call, string code, string message) => new()
    {
        CustomId = call.Request.CustomId,
        Id = CustomIdHash.ToResultId(call.Request.CustomId),
        StatusCode = 0,
        Error = new BatchError(code, message),
        LineNumber = call.Request.LineNumber,
        Stats = Stats(call, PromptTokens(call), 0, false, null, 0),
    };

    // The local count, made now if no budget needed it earlier.
    private int PromptTokens(BatchCall call) =>
        call.EstimatedPromptTokens >= 0 ? call.EstimatedPromptTokens : _tokens.CountPromptTokens(call.Request);

    private BatchItemStats Stats(BatchCall call, int prompt, int completion, bool reported, BatchResponse? response, int cachedPrompt) => new()
    {
        Attempts = call.Attempt,
        Statuses = call.Statuses,
        StartedAt = call.StartedAt,
        FinishedAt = _time.GetUtcNow(),
        LatencyMs = call.LastAttemptDuration.TotalMilliseconds,
        LimiterWaitMs = call.LimiterWait.TotalMilliseconds,
        PromptTokens = prompt,
        CompletionTokens = completion,
        UsageReported = reported,
        Model = call.Request.Model,
        Cached = response?.FromCache == true,
        CachedPromptTokens = cachedPrompt,
        SharedWith = response?.SharedWith,
    };
}
