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
/// <remarks>
/// Over 400 lines and still one job, dispatching: the slot protocol is taken in the dispatch loop and released in the
/// item and pack tasks (and the packed-item bound beside it), and a stop or a fatal error must release both exactly
/// once on every path; split across files, that pairing could no longer be checked by reading one place. What an item
/// becomes once its call ended is <see cref="ItemResultBuilder"/>'s; the policies are layers (see
/// docs/architecture.md).
/// </remarks>
internal sealed class BatchEngine : IBatchEngine, IResultSinkEngine
{
    private readonly BatchOptions _options;
    private readonly TimeProvider _time;
    private readonly IAdmissionControl _controller;
    private readonly MemoryGuard? _memory;
    private readonly TokenCounter _tokens;
    private readonly RunCounters _counters;
    private readonly ILogger _logger;
    private readonly RunCircuitBreakerHandler _breaker;
    private readonly ItemResultBuilder _results;
    private readonly long _built;

    // The runs under way, for StopDispatch of every run; the last one started answers GetProgress.
    private readonly HashSet<BatchEngineRun> _runs = [];
    private BatchEngineRun? _last;

    public BatchEngine(
        IBatchHandler pipeline,
        BatchOptions options,
        TimeProvider time,
        IAdmissionControl controller,
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
        _results = new ItemResultBuilder(time, tokens);
        _logger = logger;
        _memory = options.MaxMemoryBytes is { } max ? new MemoryGuard(max, time) : null;
        _built = time.GetTimestamp();
    }

    /// <summary>Disposes the pipeline: every layer passes it down, so the controller and the provider go with it.</summary>
    public void Dispose() => _breaker.Dispose();

    /// <summary>The outermost handler, for tests that ask the pipeline for a layer.</summary>
    internal IBatchHandler Pipeline => _breaker;

    /// <summary>The memory guard, when <see cref="BatchOptions.MaxMemoryBytes"/> is set.</summary>
    internal MemoryGuard? Memory => _memory;

    /// <summary>The admission every run shares: one controller, or one per endpoint.</summary>
    internal IAdmissionControl Controller => _controller;

    public void StopDispatch()
    {
        BatchEngineRun[] runs;
        lock (_runs)
        {
            runs = [.. _runs];
        }

        foreach (var run in runs)
        {
            run.StopDispatch();
        }
    }

    public BatchProgress GetProgress() => Volatile.Read(ref _last)?.GetProgress() ?? Progress(_counters, _built);

    /// <summary>A snapshot of one run: its own counts, the shared controller's limits and waiters.</summary>
    internal BatchProgress Progress(BatchRunState run) => Progress(run.Counters, run.Started);

    private BatchProgress Progress(RunCounters counters, long started) =>
        counters.Snapshot(
            _time.GetElapsedTime(started),
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
            Endpoints = _controller is Endpoints.EndpointPool pool ? pool.Progress() : [],
        };

    /// <summary>Forgets a run that has ended.</summary>
    internal void Ended(BatchEngineRun run)
    {
        lock (_runs)
        {
            _runs.Remove(run);
        }
    }

    public IAsyncEnumerable<BatchResult> RunAsync(IAsyncEnumerable<BatchRequest> requests, CancellationToken cancellationToken = default) =>
        BatchEngineRun.ReadToEndAsync(this, requests, cancellationToken);

    public IBatchRun Start(IAsyncEnumerable<BatchRequest> requests, CancellationToken cancellationToken = default) =>
        Start(requests, null, cancellationToken);

    public IBatchRun Start(IAsyncEnumerable<BatchRequest> requests, Func<BatchResult, ValueTask>? sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        // No vocabulary loaded ahead, even with --tpm: prompts are counted only once the token budget could bind
        // (ResourceController), so a run that stays under its limit never needs it (0.15 to 0.3 s of CPU and ~60 MB,
        // 10 us a request in the 20,000-request benchmark). When counting starts the run is about to wait for budget
        // anyway, and the one load (about a quarter second) overlaps that wait.
        var run = new BatchEngineRun(this, _time.GetTimestamp(), _options.MaxConcurrency, sink, cancellationToken);
        lock (_runs)
        {
            _runs.Add(run);
        }

        Volatile.Write(ref _last, run);
        run.Launch(r => DispatchAsync(requests, r), LlmBatchTelemetry.ObserveProgress(run.GetProgress), StartStallWatchdog(run));
        return run;
    }

    /// <summary>
    /// Checks now and then that the run still makes progress while the server refuses (see
    /// <see cref="BatchOptions.StallTimeout"/>); when it has not for that long, stops the run with
    /// <see cref="BatchStalledException"/>. Items on the wire are abandoned, so nothing is written for them.
    /// </summary>
    private ITimer StartStallWatchdog(BatchEngineRun run)
    {
        var limit = _options.StallTimeout;
        var period = TimeSpan.FromTicks(Math.Clamp(limit.Ticks / 10, TimeSpan.TicksPerSecond / 10, TimeSpan.TicksPerSecond * 10));
        return _time.CreateTimer(
            _ =>
            {
                var counters = run.State.Counters;
                var refused = _controller.BudgetUnreachableSince is not null;
                if (counters.StalledFor(_time.GetTimestamp(), _time.TimestampFrequency, refused) is { } stalled && stalled >= limit)
                {
                    run.State.SetFatal(refused
                        ? new BatchStalledException(stalled, counters.LastThrottleStatus, "the shared rate budget could not be reached, so nothing was sent")
                        : new BatchStalledException(stalled, counters.LastThrottleStatus));
                    run.StopDispatch();
                    run.Cancel();
                }
            },
            null,
            period,
            period);
    }

    private async Task DispatchAsync(IAsyncEnumerable<BatchRequest> requests, BatchEngineRun run)
    {
        var abort = run.Abort;
        var max = _options.MaxConcurrency;
        using var slots = new SemaphoreSlim(max, max);
        using var packedItems = new SemaphoreSlim(MaxPackedItemsInProgress, MaxPackedItemsInProgress);
        var packer = PackingOptions.From(_options.PackSize) is { } packing ? new EmbeddingPacker(packing, _tokens) : null;
        using var dispatch = CancellationTokenSource.CreateLinkedTokenSource(abort.Token, run.State.DispatchStopToken);
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
                _ = RunItemAsync(request, run, slots);
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
            run.State.SetFatal(inputError);
        }

        run.Complete();

        async Task LaunchPackAsync(EmbeddingPack pack)
        {
            await slots.WaitAsync(dispatch.Token).ConfigureAwait(false);
            _ = RunPackAsync(pack, run, slots, packedItems);
        }
    }

    /// <summary>
    /// Packed items whose vectors may be in memory at once: 8,192 vectors of 1,536 floats are about 130 MB of JSON,
    /// however high the concurrency a fast server allows.
    /// </summary>
    private const int MaxPackedItemsInProgress = 8_192;

    /// <summary>How long a gathering pack waits for a slow source's next request before it is sent as it is.</summary>
    private static readonly TimeSpan PackLinger = TimeSpan.FromMilliseconds(20);

    private async Task RunPackAsync(EmbeddingPack pack, BatchEngineRun run, SemaphoreSlim slots, SemaphoreSlim packedItems)
    {
        try
        {
            foreach (var result in await ProcessPackAsync(pack, run).ConfigureAwait(false))
            {
                run.State.Counters.ItemCompleted(result, _time.GetTimestamp());
                LlmBatchTelemetry.RecordItemCompleted(result);
                try
                {
                    // Inline rather than a helper method: its state machine would be boxed per item whenever the consumer is behind.
                    await run.DeliverAsync(result).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    DeliveryFailed(run, ex);
                }
            }
        }
        catch (Exception ex)
        {
            // ProcessPackAsync turns every failure into results; reaching here is a bug, never a lost item silently.
            _logger.LogError(ex, "Unexpected failure processing the pack from {CustomId}", pack.Members[0].Request.CustomId);
            run.State.SetFatal(ex);
            run.Cancel();
        }
        finally
        {
            packedItems.Release(pack.Members.Count);
            slots.Release();
        }
    }

    /// <summary>A sink that failed (the output file's disk is full) ends the run with its error.</summary>
    private static void DeliveryFailed(BatchEngineRun run, Exception error)
    {
        run.State.SetFatal(error);
        run.Cancel();
    }

    private async Task RunItemAsync(BatchRequest request, BatchEngineRun run, SemaphoreSlim slots)
    {
        try
        {
            // The call and its result here rather than in helper methods: one state machine per item, not three.
            // Prompt tokens are counted by the rate limiter, and only when a token budget could bind (ResourceController):
            // the vocabulary costs ~50 MB and a quarter second to load, and a count costs more than the rest of the limits path.
            var call = new BatchCall(request) { Run = run.State, StartedAt = _time.GetUtcNow() };
            // SendAsync inlined for the same reason.
            SendOutcome? outcome = null;
            if (!run.State.IsStopped)
            {
                try
                {
                    outcome = new SendOutcome(await _breaker.SendAsync(call, run.Abort.Token).ConfigureAwait(false), null);
                }
                catch (Exception ex)
                {
                    outcome = Ended(ex, run);
                }
            }

            var result = outcome switch
            {
                { Response: { } response } => _results.FromResponse(call, response),
                { Error: { } error } => _results.Failure(call, error.Code, error.Message),
                _ => null,
            };
            if (result is not null)
            {
                run.State.Counters.ItemCompleted(result, _time.GetTimestamp());
                LlmBatchTelemetry.RecordItemCompleted(result);
                try
                {
                    // Inline rather than a helper method: its state machine would be boxed per item whenever the consumer is behind.
                    await run.DeliverAsync(result).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    DeliveryFailed(run, ex);
                }
            }
        }
        catch (Exception ex)
        {
            // SendAsync turns every failure into an outcome; reaching here is a bug, never a lost item silently.
            _logger.LogError(ex, "Unexpected failure processing {CustomId}", request.CustomId);
            run.State.SetFatal(ex);
            run.Cancel();
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>
    /// Sends a pack and turns its answer into one result per member. A pack the server refuses as a request (a 400
    /// for one input too long, say) is split in halves and each half sent again, so one bad input fails alone and
    /// the rest succeed in a few more requests; any other failure is every member's.
    /// </summary>
    private async Task<IReadOnlyList<BatchResult>> ProcessPackAsync(EmbeddingPack pack, BatchEngineRun run)
    {
        var call = new BatchCall(pack.ToRequest()) { Run = run.State, EstimatedPromptTokens = (int)Math.Min(int.MaxValue, pack.Tokens), StartedAt = _time.GetUtcNow() };
        var outcome = await SendAsync(call, run).ConfigureAwait(false);
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
                results.Add(_results.Member(call, members[i], i, members.Count, ok, body, error, tokens, reported));
            }

            return results;
        }

        if (members.Count > 1 && outcome.Value.Response is { } refused && RefusedAsARequest(refused.StatusCode))
        {
            var half = members.Count / 2;
            results.AddRange(await ProcessPackAsync(pack.Slice(0, half), run).ConfigureAwait(false));
            results.AddRange(await ProcessPackAsync(pack.Slice(half, members.Count - half), run).ConfigureAwait(false));
            return results;
        }

        for (var i = 0; i < members.Count; i++)
        {
            if (outcome.Value.Response is { } failed)
            {
                var error = failed.StatusCode is >= 200 and < 300
                    ? new BatchError("invalid_response", $"HTTP {failed.StatusCode} with a body that is not a valid {call.Request.Url} response.")
                    : new BatchError("http_" + failed.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture), ErrorMessageReader.Read(failed.Body.Span, failed.StatusCode));
                results.Add(_results.Member(call, members[i], i, members.Count, failed, failed.Body, error, members[i].Tokens, false));
            }
            else
            {
                results.Add(_results.Member(call, members[i], i, members.Count, null, default, outcome.Value.Error, members[i].Tokens, false));
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
    private async Task<SendOutcome?> SendAsync(BatchCall call, BatchEngineRun run)
    {
        if (run.State.IsStopped)
        {
            return null;
        }

        try
        {
            return new SendOutcome(await _breaker.SendAsync(call, run.Abort.Token).ConfigureAwait(false), null);
        }
        catch (Exception ex)
        {
            return Ended(ex, run);
        }
    }

    /// <summary>How a call that threw ended: null when nothing must be written, else the item's error.</summary>
    private static SendOutcome? Ended(Exception error, BatchEngineRun run)
    {
        switch (error)
        {
            case OperationCanceledException when run.Abort.IsCancellationRequested:
                return null;
            case DispatchStoppedException:
                // Refused before it was sent: no cost, no line; a rerun sends it.
                return null;
            case RunCircuitOpenException open:
                // The run, not the item, is failing: stop, and record nothing so a rerun sends every item.
                run.State.SetFatal(open.Reason);
                run.Cancel();
                return null;
            default:
                return new SendOutcome(null, new BatchError(RetryClassifier.ErrorCode(error), error.Message));
        }
    }

    /// <summary>How a call ended: with a response (whatever its status) or with an error and no response.</summary>
    private readonly record struct SendOutcome(BatchResponse? Response, BatchError? Error);
}
