using LlmBatch.Concurrency;
using LlmBatch.Input;
using LlmBatch.Providers;
using Microsoft.Extensions.Logging;

namespace LlmBatch.RateLimiting;

/// <summary>
/// The resource controller: decides when each attempt may go, and nothing else. It composes three pieces, each
/// testable alone: the <see cref="AdmissionQueue"/> (first in, first out), the <see cref="AdaptiveConcurrencyLimit"/>
/// (servers bound by slots rather than budgets) and the <see cref="IRateBudget"/> (the request and token budgets and
/// the run-wide pause: <see cref="LocalRateBudget"/> in process, or one shared by many processes). The queue and the
/// concurrency limit are this process's own; only the budget may be shared, which is why it sits behind an interface
/// whose calls may complete later (a budget in Redis answers after a round trip): while the head of the queue waits
/// for such an answer nobody else asks, so admission stays first in, first out.
/// Attempts acquire a lease before they are sent and hand it back with the response (<see cref="OnResponse"/>) or
/// without one (<see cref="OnFailure"/>); everything the controller learns comes from those two calls.
/// </summary>
internal sealed class ResourceController : IAdmissionPolicy, IAdmissionControl, IDisposable
{
    /// <summary>
    /// The client's bucket is kept this much (in seconds of refill) below the server's: requests admitted in order
    /// reach the server with varying delays (scheduling, connection setup, GC), and two that arrive closer together
    /// than they left would otherwise overrun a server bucket the client had tracked exactly. The refill rate is
    /// untouched, so throughput does not suffer; only the burst is a little smaller. 50 ms let 1-2 % of requests
    /// through to a 429 on a loaded machine (docs/benchmarks.md); 150 ms costs a tenth of a second once per run.
    /// </summary>
    internal static readonly TimeSpan DefaultJitterAllowance = TimeSpan.FromMilliseconds(150);

    /// <summary>
    /// A refusal faster than this share of the usual success latency is the server turning the request away at the
    /// door (Ollama's full queue, TGI past <c>max_concurrent_requests</c>): a capacity signal. A 503 that comes after
    /// the usual processing time is a fault of that request (the simulator's injected 503s, a worker that crashed),
    /// and cutting concurrency for it would collapse a healthy run that sees 3 % of such answers.
    /// </summary>
    private const double FastRefusalShare = 0.25;

    /// <summary>Refusals faster than this are always at the door, whatever the usual latency.</summary>
    private static readonly TimeSpan s_fastRefusal = TimeSpan.FromMilliseconds(20);

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly int _defaultMaxOutputTokens;
    private readonly TokenCounter _counter = TokenCounter.Shared;
    private readonly AdmissionQueue _queue;
    private readonly BudgetAdmission _budget;
    private readonly AdaptiveConcurrencyLimit _concurrency;
    private double _successLatencySeconds;
    private bool _stopped;
    private bool _disposed;

    /// <summary>Creates the controller for a run.</summary>
    /// <param name="options">Rate flags, header learning, concurrency and the default completion reservation.</param>
    /// <param name="timeProvider">The clock for budgets, waits and pauses.</param>
    /// <param name="logger">Told when limits are learned and when a server's wait pauses the run.</param>
    /// <param name="jitterAllowance">How far below the server's bucket the client keeps its own (default <see cref="DefaultJitterAllowance"/>).</param>
    public ResourceController(BatchOptions options, TimeProvider timeProvider, ILogger? logger = null, TimeSpan? jitterAllowance = null)
        : this(options, timeProvider, new LocalRateBudget(options, timeProvider, logger, jitterAllowance ?? DefaultJitterAllowance), logger)
    {
    }

    /// <summary>Creates the controller for a run over a given budget (shared by several processes, or one per endpoint).</summary>
    /// <param name="options">Concurrency and the default completion reservation; whether a rate was given as a flag.</param>
    /// <param name="timeProvider">The clock for waits and the concurrency limit.</param>
    /// <param name="budget">The budget admissions draw on; the controller owns it and disposes it.</param>
    /// <param name="logger">Told when the concurrency limit changes and when the budget fails.</param>
    public ResourceController(BatchOptions options, TimeProvider timeProvider, IRateBudget budget, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(budget);
        _time = timeProvider;
        _defaultMaxOutputTokens = Math.Max(0, options.DefaultMaxOutputTokens);
        _budget = new BudgetAdmission(budget, _lock, timeProvider, logger, OnLateBudgetAnswer);

        // With a limit given as a flag the budgets pace the run from the first request; without one, the first
        // answers must say what the server is before more than a small window goes out blind.
        var flagged = options.RequestsPerMinute is not null || options.TokensPerMinute is not null;
        _concurrency = new AdaptiveConcurrencyLimit(
            timeProvider,
            options.MaxConcurrency,
            options.Concurrency,
            flagged ? options.MaxConcurrency : Math.Min(options.MaxConcurrency, AdaptiveConcurrencyLimit.DefaultInitialLimit),
            logger);
        _queue = new AdmissionQueue(_lock, timeProvider, this);
    }

    /// <summary>Attempts waiting for admission now.</summary>
    public int WaitingCount
    {
        get
        {
            lock (_lock)
            {
                return _queue.Waiting;
            }
        }
    }

    /// <summary>The request budget in force, per minute; null when unlimited or not yet known.</summary>
    public double? RequestsPerMinuteLimit
    {
        get
        {
            lock (_lock)
            {
                return _budget.Budget.RequestsPerMinute;
            }
        }
    }

    /// <summary>The token budget in force, per minute; null when unlimited or not yet known.</summary>
    public double? TokensPerMinuteLimit
    {
        get
        {
            lock (_lock)
            {
                return _budget.Budget.TokensPerMinute;
            }
        }
    }

    /// <summary>The concurrency limit in force now.</summary>
    public int ConcurrencyLimit
    {
        get
        {
            lock (_lock)
            {
                return _concurrency.Limit;
            }
        }
    }

    /// <summary>True when the concurrency limit adapts (no fixed concurrency was given).</summary>
    public bool ConcurrencyAdapts => _concurrency.IsAdaptive;

    /// <summary>The concurrency limit, attempts on the wire and goodput of the run so far, a point per second.</summary>
    public IReadOnlyList<ConcurrencyPoint> ConcurrencyTimeline()
    {
        lock (_lock)
        {
            return _concurrency.Timeline.Snapshot();
        }
    }

    /// <summary>Until when dispatch is paused because a server asked for a wait; null when it is not.</summary>
    public DateTimeOffset? PausedUntil
    {
        get
        {
            lock (_lock)
            {
                return _budget.Budget.PausedUntil;
            }
        }
    }

    /// <summary>Since when the budget's shared store has not answered (see <see cref="IRateBudget.UnreachableSince"/>); null while it answers.</summary>
    public long? BudgetUnreachableSince
    {
        get
        {
            lock (_lock)
            {
                return _budget.Budget.UnreachableSince;
            }
        }
    }

    /// <summary>
    /// The tokens an attempt of <paramref name="call"/> reserves when no token budget needs its prompt counted: the
    /// prompt (counted, or estimated at ~4 bytes of JSON per token) plus the most it may generate.
    /// </summary>
    public long TokenCost(BatchCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Cost(call.Request, call.EstimatedPromptTokens >= 0 ? call.EstimatedPromptTokens : call.Request.Body.Length / 4);
    }

    /// <summary>
    /// Waits, first in first out, until no pause is in force, a concurrency slot is free and the budgets allow one
    /// more request of this call's cost, then reserves it. Sets <see cref="BatchCall.ReservedTokens"/> and adds the
    /// wait to <see cref="BatchCall.LimiterWait"/>; counts the prompt (<see cref="BatchCall.EstimatedPromptTokens"/>)
    /// when a token budget could bind.
    /// </summary>
    /// <param name="call">The call about to send an attempt.</param>
    /// <param name="cancellationToken">Cancels the wait; a cancelled waiter holds no reservation.</param>
    /// <returns>The lease to hand back to <see cref="OnResponse"/> or <see cref="OnFailure"/>.</returns>
    /// <exception cref="DispatchStoppedException">Dispatch has been stopped (<see cref="StopAdmitting()"/>).</exception>
    public ValueTask<RateLease> AcquireAsync(BatchCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<RateLease>(cancellationToken);
        }

        // What the prompt costs a token budget: nothing to count when it was counted already or no token budget is in
        // force; while the budget is far from binding, the body's length in bytes, an upper bound of any count (every
        // token is at least a byte of UTF-8, an escaped JSON string is never shorter than its text, and the framing
        // of a message or a reply is never more tokens than the JSON around them has bytes); only when that bound
        // would bring the budget near its limit, the tokenizer's count, outside the lock. Counting every prompt up
        // front (a pre-tokenizer and tens of MB of vocabulary) cost more CPU than the rest of the limits path together.
        var request = call.Request;
        while (true)
        {
            AdmissionQueue.Waiter? waiter = null;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_stopped || call.Run?.IsStopped == true)
                {
                    return ValueTask.FromException<RateLease>(new DispatchStoppedException());
                }

                var now = _time.GetTimestamp();
                var tokens = call.EstimatedPromptTokens >= 0 || _budget.Budget.TokensPerMinute is null ? TokenCost(call)
                    : Cost(request, request.Body.Length) is var bound && _budget.Budget.HasTokenHeadroom(bound, now) ? bound
                    : -1;
                if (tokens >= 0)
                {
                    waiter = _queue.Enter(call, tokens, now, out var admitted);
                    if (waiter is null)
                    {
                        return new ValueTask<RateLease>(admitted);
                    }
                }
            }

            if (waiter is not null)
            {
                return _queue.Await(waiter, cancellationToken);
            }

            call.EstimatedPromptTokens = _counter.CountPromptTokens(request);
        }
    }

    /// <summary>
    /// Stops admitting: every waiter is refused with <see cref="DispatchStoppedException"/> (it was never sent, so it
    /// costs nothing and a rerun sends it), and so is every later acquisition until <see cref="ResumeAdmitting"/>.
    /// </summary>
    public void StopAdmitting()
    {
        List<AdmissionQueue.Waiter> refused;
        lock (_lock)
        {
            _stopped = true;
            refused = _queue.TakeAll();
        }

        foreach (var waiter in refused)
        {
            waiter.Refuse(new DispatchStoppedException());
        }
    }

    /// <summary>
    /// Stops admitting one run's calls: its waiters are refused with <see cref="DispatchStoppedException"/> (and so is
    /// every later acquisition of a call of that run), while the other runs sharing the controller keep their places.
    /// </summary>
    /// <param name="run">The run, already marked stopped (<see cref="BatchRunState.Stop"/>).</param>
    public void StopAdmitting(BatchRunState run)
    {
        List<AdmissionQueue.Waiter> refused;
        lock (_lock)
        {
            refused = _queue.TakeAll(run);

            // A refused head may have been what the next run's waiter queued behind.
            _queue.Pump(_time.GetTimestamp());
        }

        foreach (var waiter in refused)
        {
            waiter.Refuse(new DispatchStoppedException());
        }
    }

    /// <summary>Admits again after <see cref="StopAdmitting()"/> (a new run on the same engine).</summary>
    public void ResumeAdmitting()
    {
        lock (_lock)
        {
            _stopped = false;
        }
    }

    /// <summary>
    /// Settles an attempt that got a response: refunds unused reserved tokens (or charges an overrun) from the
    /// reported usage, learns limits from the headers, slows down on a rate limit or an overload, and pauses the run
    /// when the server asked for a wait.
    /// </summary>
    /// <param name="lease">The attempt's lease.</param>
    /// <param name="response">The provider's response.</param>
    public void OnResponse(in RateLease lease, BatchResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var kind = ThrottleClassifier.Classify(response, out var scope, out var suggestedWait);
        var success = response.StatusCode is >= 200 and < 300;
        var settled = success && response.Facts is { UsageReported: true } usage
            ? (long)usage.PromptTokens + usage.CompletionTokens
            : -1;
        var outcome = BudgetOutcome.Answered(response, kind, scope, settled);
        var pause = ServerPause.For(response, kind, suggestedWait, lease.Tokens);
        var learns = response.Headers is { HasLimits: true };

        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var latency = _time.GetElapsedTime(lease.AdmittedAt, now);
            if (_budget.Settle(lease.Grant, outcome, now) && learns && _budget.IsKnown)
            {
                _concurrency.OnBudgetKnown();
            }

            if (pause is { } p)
            {
                _budget.Pause(p.Wait, p.Reason, now);
            }

            switch (kind)
            {
                case ThrottleKind.RateLimited:
                    _concurrency.OnOtherOutcome(lease.Sequence, lease.InFlightAreaAtStart, latency);
                    break;
                case ThrottleKind.Overloaded:
                    if (IsFastRefusal(latency))
                    {
                        _concurrency.OnOverload(lease.Sequence, lease.ConcurrencyAtStart);
                    }
                    else
                    {
                        _concurrency.OnOtherOutcome(lease.Sequence, lease.InFlightAreaAtStart, latency);
                    }

                    break;
                default:
                    if (success)
                    {
                        _successLatencySeconds = _successLatencySeconds == 0
                            ? latency.TotalSeconds
                            : (_successLatencySeconds * 0.95) + (latency.TotalSeconds * 0.05);
                        _concurrency.OnSuccess(lease.Sequence, lease.InFlightAreaAtStart, latency);
                    }
                    else
                    {
                        _concurrency.OnOtherOutcome(lease.Sequence, lease.InFlightAreaAtStart, latency);
                    }

                    break;
            }

            _queue.Pump(now);
        }
    }

    /// <summary>
    /// Hands back the lease of an attempt that got no response (a transport error, a timeout, a cancellation).
    /// The reservation stays charged: the server may have counted the request.
    /// </summary>
    /// <param name="lease">The attempt's lease.</param>
    public void OnFailure(in RateLease lease)
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            _budget.Settle(lease.Grant, BudgetOutcome.NoAnswer, now);
            _concurrency.OnOtherOutcome(lease.Sequence, lease.InFlightAreaAtStart, _time.GetElapsedTime(lease.AdmittedAt, now));
            _queue.Pump(now);
        }
    }

    /// <summary>
    /// Hands back an admission that was never used: its grant goes back whole and its concurrency slot is freed (an
    /// endpoint of several that admitted an attempt another endpoint had already taken).
    /// </summary>
    /// <param name="lease">The unused lease.</param>
    public void Release(in RateLease lease)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetTimestamp();
            _budget.Settle(lease.Grant, BudgetOutcome.NotSent, now);
            _concurrency.OnOtherOutcome(lease.Sequence, lease.InFlightAreaAtStart, TimeSpan.Zero);
            _queue.Pump(now);
        }
    }

    /// <summary>Stops the timer, fails every waiter and disposes the budget.</summary>
    public void Dispose()
    {
        List<AdmissionQueue.Waiter> waiters;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            waiters = _queue.TakeAll();
            _queue.Dispose();
            _budget.Dispose();
        }

        foreach (var w in waiters)
        {
            w.Refuse(new ObjectDisposedException(nameof(ResourceController)));
        }
    }

    /// <inheritdoc />
    bool IAdmissionPolicy.TryAdmit(long tokens, long now, out RateLease lease, out TimeSpan delay)
    {
        lease = default;
        if (!_concurrency.HasRoom)
        {
            // Only an answer frees a slot; it pumps the queue.
            delay = Timeout.InfiniteTimeSpan;
            return false;
        }

        if (!_budget.TryTake(tokens, now, out var grant, out delay))
        {
            return false;
        }

        var sequence = _concurrency.OnStart();
        lease = new RateLease(now, grant, sequence, _concurrency.InFlight, _concurrency.InFlightArea);
        return true;
    }

    /// <summary>The budget answered a call later: see <see cref="BudgetAdmission.LateAnswer"/>. Called under the lock.</summary>
    private AdmissionQueue.Waiter? OnLateBudgetAnswer(bool learned, Exception? takeError)
    {
        if (learned && _budget.IsKnown)
        {
            _concurrency.OnBudgetKnown();
        }

        var failed = takeError is null ? null : _queue.TakeHead();
        _queue.Pump(_time.GetTimestamp());
        return failed;
    }

    /// <summary>A prompt of <paramref name="prompt"/> tokens plus the most the request may generate (embeddings generate none).</summary>
    private long Cost(BatchRequest request, long prompt) =>
        request.Endpoint == BatchEndpointKind.Embeddings ? prompt : prompt + (request.MaxOutputTokens ?? _defaultMaxOutputTokens);

    private bool IsFastRefusal(TimeSpan latency) =>
        latency < s_fastRefusal || _successLatencySeconds == 0 || latency.TotalSeconds < _successLatencySeconds * FastRefusalShare;
}
