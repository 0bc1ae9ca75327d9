using Microsoft.Extensions.Logging;

namespace LlmBatch;

/// <summary>
/// The resource controller: owns the request and token budgets of a run, the run-wide pause after a 429, and what
/// the provider's headers teach about its limits. Attempts acquire a lease before they are sent and hand it back
/// with the response (<see cref="OnResponse"/>) or without one (<see cref="OnFailure"/>).
/// </summary>
/// <remarks>
/// Waiters queue first in, first out: only the head of the queue is ever tested against the budgets, so a large
/// request cannot be starved by a stream of small ones. One timer, set for the moment the head can go, drives the
/// queue; admissions happen under one lock, so a cancelled waiter never holds a reservation.
/// </remarks>
internal sealed class ResourceController : IDisposable
{
    /// <summary>With only a per-minute figure known, the burst allowed is this much of it: OpenAI-like servers
    /// enforce their per-minute limits over short windows, and one second of budget is what they reliably accept.</summary>
    private const double DefaultBurstSeconds = 1.0;

    /// <summary>
    /// The client's bucket is kept this much (in seconds of refill) below the server's: requests admitted in order
    /// reach the server with varying delays (scheduling, connection setup, GC), and two that arrive closer together
    /// than they left would otherwise overrun a server bucket the client had tracked exactly. The refill rate is
    /// untouched, so throughput does not suffer; only the burst is a little smaller. 50 ms let 1-2 % of requests
    /// through to a 429 on a loaded machine (docs/benchmarks.md); 150 ms costs a tenth of a second once per run.
    /// </summary>
    internal static readonly TimeSpan DefaultJitterAllowance = TimeSpan.FromMilliseconds(150);

    private bool _stopped;

    private readonly double _jitterAllowanceSeconds;

    private static readonly TimeSpan FallbackPause = TimeSpan.FromSeconds(1);

    /// <summary>Timers take at most ~49 days and a pause must not overflow the clock; a timer that fires early re-arms.</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromHours(1);

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly ITimer _timer;
    private readonly Queue<Waiter> _queue = new();
    private readonly double? _requestsFlag;
    private readonly double? _tokensFlag;
    private readonly bool _learn;
    private readonly int _defaultMaxOutputTokens;

    private TokenBudget? _requests;
    private TokenBudget? _tokens;
    private CapacityEvidence _requestsCapacity;
    private CapacityEvidence _tokensCapacity;
    private long _requestsDispatched;
    private long _tokensDispatched;
    private bool _probing;
    private int _probesInFlight;
    private long _pausedUntil;
    private DateTimeOffset _pausedUntilUtc;
    private int _waiting;
    private bool _disposed;

    /// <summary>Creates the controller for a run.</summary>
    /// <param name="options">Rate flags, header learning and the default completion reservation.</param>
    /// <param name="timeProvider">The clock for budgets, waits and pauses.</param>
    /// <param name="logger">Told when limits are learned and when a 429 pauses the run.</param>
    /// <param name="jitterAllowance">How far below the server's bucket the client keeps its own (default <see cref="DefaultJitterAllowance"/>).</param>
    public ResourceController(BatchOptions options, TimeProvider timeProvider, ILogger? logger = null, TimeSpan? jitterAllowance = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _jitterAllowanceSeconds = (jitterAllowance ?? DefaultJitterAllowance).TotalSeconds;
        _time = timeProvider;
        _logger = logger;
        _learn = options.LearnLimitsFromHeaders;
        _defaultMaxOutputTokens = Math.Max(0, options.DefaultMaxOutputTokens);
        _requestsFlag = options.RequestsPerMinute is > 0 and var rpm && double.IsFinite(rpm) ? rpm / 60 : null;
        _tokensFlag = options.TokensPerMinute is > 0 and var tpm && double.IsFinite(tpm) ? tpm / 60 : null;
        if (_requestsFlag is { } r)
        {
            _requests = new TokenBudget(timeProvider, r, Usable(r * DefaultBurstSeconds, r));
        }

        if (_tokensFlag is { } t)
        {
            _tokens = new TokenBudget(timeProvider, t, Usable(t * DefaultBurstSeconds, t));
        }

        // Blind, a burst of a full concurrency window could overrun a tight limit before the first answer says
        // what the limit is: with no flag at all, one request goes first and its headers set the budgets.
        _probing = _learn && _requestsFlag is null && _tokensFlag is null;
        _timer = timeProvider.CreateTimer(static s => ((ResourceController)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Attempts waiting for a lease now.</summary>
    public int WaitingCount
    {
        get
        {
            lock (_lock)
            {
                return _waiting;
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
                return _requests?.RatePerSecond * 60;
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
                return _tokens?.RatePerSecond * 60;
            }
        }
    }

    /// <summary>Until when dispatch is paused after a 429; null when it is not.</summary>
    public DateTimeOffset? PausedUntil
    {
        get
        {
            lock (_lock)
            {
                return _time.GetTimestamp() < _pausedUntil ? _pausedUntilUtc : null;
            }
        }
    }

    /// <summary>The tokens an attempt of <paramref name="call"/> reserves: its prompt plus the most it may generate.</summary>
    public long TokenCost(BatchCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var request = call.Request;

        // Uncounted prompts (a pipeline without the engine's counter) are estimated at ~4 bytes of JSON per token.
        long prompt = call.EstimatedPromptTokens >= 0 ? call.EstimatedPromptTokens : request.Body.Length / 4;
        return request.Endpoint == BatchEndpointKind.Embeddings
            ? prompt
            : prompt + (request.MaxOutputTokens ?? _defaultMaxOutputTokens);
    }

    /// <summary>
    /// Waits, first in first out, until the budgets allow one more request of this call's cost and no pause is in
    /// force, then reserves it. Sets <see cref="BatchCall.ReservedTokens"/> and adds the wait to <see cref="BatchCall.LimiterWait"/>.
    /// </summary>
    /// <param name="call">The call about to send an attempt.</param>
    /// <param name="cancellationToken">Cancels the wait; a cancelled waiter holds no reservation.</param>
    /// <returns>The lease to hand back to <see cref="OnResponse"/> or <see cref="OnFailure"/>.</returns>
    /// <exception cref="DispatchStoppedException">Dispatch has been stopped (<see cref="StopAdmitting"/>).</exception>
    public ValueTask<RateLease> AcquireAsync(BatchCall call, CancellationToken cancellationToken)
    {
        var tokens = TokenCost(call);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<RateLease>(cancellationToken);
        }

        Waiter waiter;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_stopped)
            {
                return ValueTask.FromException<RateLease>(new DispatchStoppedException());
            }

            var now = _time.GetTimestamp();
            var first = _queue.Count == 0;
            var delay = TimeSpan.Zero;
            if (first && TryAdmit(tokens, now, out var lease, out delay))
            {
                call.ReservedTokens = tokens;
                return new ValueTask<RateLease>(lease);
            }

            waiter = new Waiter(this, call, tokens, now);
            _queue.Enqueue(waiter);
            _waiting++;
            if (first)
            {
                // Behind an existing head the timer is already set for that head.
                Arm(delay);
            }
        }

        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.UnsafeRegister(static (s, ct) => ((Waiter)s!).Cancel(ct), waiter);
            bool finished;
            lock (_lock)
            {
                finished = waiter.Finished;
                if (!finished)
                {
                    waiter.Registration = registration;
                }
            }

            if (finished)
            {
                // Admitted before the registration existed: drop it so the run's token does not keep the waiter alive.
                registration.Unregister();
            }
        }

        return new ValueTask<RateLease>(waiter.Task);
    }

    /// <summary>
    /// Stops admitting: every waiter is refused with <see cref="DispatchStoppedException"/> (it was never sent, so it
    /// costs nothing and a rerun sends it), and so is every later acquisition until <see cref="ResumeAdmitting"/>.
    /// </summary>
    public void StopAdmitting()
    {
        List<Waiter> refused = [];
        lock (_lock)
        {
            _stopped = true;
            while (_queue.TryDequeue(out var waiter))
            {
                if (!waiter.Finished)
                {
                    waiter.Finished = true;
                    _waiting--;
                    refused.Add(waiter);
                }
            }
        }

        foreach (var waiter in refused)
        {
            waiter.Registration.Dispose();
            waiter.TrySetException(new DispatchStoppedException());
        }
    }

    /// <summary>Admits again after <see cref="StopAdmitting"/> (a new run on the same engine).</summary>
    public void ResumeAdmitting()
    {
        lock (_lock)
        {
            _stopped = false;
        }
    }

    /// <summary>
    /// Settles an attempt that got a response: refunds unused reserved tokens (or charges an overrun) from the
    /// reported usage, learns limits and corrects the budgets from the headers, and pauses the run on a 429.
    /// </summary>
    /// <param name="lease">The attempt's lease.</param>
    /// <param name="response">The provider's response.</param>
    public void OnResponse(in RateLease lease, BatchResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        long actual = 0;
        var settle = false;
        if (response.StatusCode is >= 200 and < 300 && UsageReader.TryRead(response.Body.Span, out var prompt, out var completion))
        {
            settle = true;
            actual = (long)prompt + completion;
        }

        var headers = response.Headers ?? RateLimitHeaders.Empty;

        lock (_lock)
        {
            if (lease.Probe)
            {
                _probesInFlight--;
            }

            if (_probing)
            {
                _probing = false;
                _logger?.LogDebug("First response received; dispatch no longer limited to one probe.");
            }

            if (settle && _tokens is { } tokens)
            {
                // A server that reports what it has left keeps its own books: OpenAI charges max_tokens at admission
                // and refunds nothing, so a local refund would run ahead of it (measured: 2 % of requests answered 429
                // at a token limit, 0.5 % without the refund). Overruns are still charged.
                var delta = actual - lease.Tokens;
                if (delta < 0 && headers.RemainingTokens is null)
                {
                    tokens.Refund(-delta);
                }
                else
                {
                    tokens.Charge(delta);
                }
            }

            var now = _time.GetTimestamp();
            if (_learn && headers.HasLimits)
            {
                Learn(lease, headers, now);
            }

            if (response.StatusCode == 429)
            {
                Pause(lease, headers, now);
            }

            Pump(now);
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
            if (lease.Probe)
            {
                _probesInFlight--;
                Pump(_time.GetTimestamp());
            }
        }
    }

    /// <summary>Stops the timer and fails every waiter.</summary>
    public void Dispose()
    {
        Waiter[] waiters;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            waiters = _queue.ToArray();
            _queue.Clear();
            _waiting = 0;
            foreach (var w in waiters)
            {
                w.Finished = true;
                w.Registration.Unregister();
            }
        }

        _timer.Dispose();
        foreach (var w in waiters)
        {
            w.TrySetException(new ObjectDisposedException(nameof(ResourceController)));
        }
    }

    private void OnTimer()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                Pump(_time.GetTimestamp());
            }
        }
    }

    /// <summary>Admits waiters from the head of the queue while the budgets allow, then sets the timer for the head.</summary>
    private void Pump(long now)
    {
        while (_queue.TryPeek(out var head))
        {
            if (head.Finished)
            {
                _queue.Dequeue();
                continue;
            }

            if (!TryAdmit(head.Tokens, now, out var lease, out var delay))
            {
                Arm(delay);
                return;
            }

            _queue.Dequeue();
            _waiting--;
            head.Finished = true;
            head.Registration.Unregister();
            head.Call.ReservedTokens = head.Tokens;
            head.Call.LimiterWait += _time.GetElapsedTime(head.EnqueuedAt, now);

            // The task runs its continuations asynchronously, so completing it under the lock runs no caller code here.
            head.TrySetResult(lease);
        }
    }

    /// <summary>
    /// Reserves one request and <paramref name="tokens"/> when nothing stands in the way. Otherwise says how long
    /// to wait (<see cref="Timeout.InfiniteTimeSpan"/> when only an event, the probe's answer, can unblock it).
    /// </summary>
    private bool TryAdmit(long tokens, long now, out RateLease lease, out TimeSpan delay)
    {
        lease = default;
        if (now < _pausedUntil)
        {
            delay = _time.GetElapsedTime(now, _pausedUntil);
            return false;
        }

        if (_probing && _probesInFlight > 0)
        {
            delay = Timeout.InfiniteTimeSpan;
            return false;
        }

        delay = TimeSpan.Zero;
        if (_requests is { } requests)
        {
            delay = requests.TimeUntil(1);
        }

        if (_tokens is { } budget)
        {
            var forTokens = budget.TimeUntil(tokens);
            if (forTokens > delay)
            {
                delay = forTokens;
            }
        }

        if (delay > TimeSpan.Zero)
        {
            return false;
        }

        _requests?.TryTake(1);
        _tokens?.TryTake(tokens);
        _requestsDispatched++;
        _tokensDispatched += tokens;
        var probe = _probing;
        if (probe)
        {
            _probesInFlight++;
        }

        lease = new RateLease(tokens, now, _requestsDispatched, _tokensDispatched, probe);
        return true;
    }

    private void Arm(TimeSpan delay)
    {
        if (delay != Timeout.InfiniteTimeSpan)
        {
            _timer.Change(delay < LongestWait ? delay : LongestWait, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Learns rate and capacity from the headers and lowers the levels to what the server has left.</summary>
    private void Learn(in RateLease lease, RateLimitHeaders headers, long now)
    {
        var elapsed = _time.GetElapsedTime(lease.AdmittedAt, now).TotalSeconds;
        _requests = LearnBudget(
            _requests,
            _requestsFlag,
            ref _requestsCapacity,
            headers.LimitRequests,
            headers.RemainingRequests,
            headers.ResetRequests,
            cost: 1,
            dispatchedSince: _requestsDispatched - lease.RequestsDispatched,
            elapsed,
            "requests");
        _tokens = LearnBudget(
            _tokens,
            _tokensFlag,
            ref _tokensCapacity,
            headers.LimitTokens,
            headers.RemainingTokens,
            headers.ResetTokens,
            cost: lease.Tokens,
            dispatchedSince: _tokensDispatched - lease.TokensDispatched,
            elapsed,
            "tokens");
    }

    private TokenBudget? LearnBudget(
        TokenBudget? budget,
        double? flag,
        ref CapacityEvidence evidence,
        long? limit,
        long? remaining,
        TimeSpan? reset,
        long cost,
        long dispatchedSince,
        double elapsed,
        string what)
    {
        double? serverRate = limit is > 0 ? limit.Value / 60.0 : null;
        var rate = (flag, serverRate) switch
        {
            ({ } f, { } s) => Math.Min(f, s),
            ({ } f, null) => f,
            (null, { } s) => s,
            _ => budget?.RatePerSecond,
        };
        if (rate is not { } r)
        {
            // Neither a flag nor a limit header: the refill rate is unknown, so this budget stays unlimited.
            return budget;
        }

        var refill = serverRate ?? r;
        if (remaining is { } left)
        {
            // The server's level just before it admitted this request is only a lower bound of its capacity; when
            // it also says how long until full, level plus refill over that time is the capacity itself.
            evidence.AtLeast = Math.Max(evidence.AtLeast, (double)left + cost);
            if (reset is { } untilFull)
            {
                evidence.Measured = Math.Max(evidence.Measured, left + (refill * untilFull.TotalSeconds));
            }
        }

        // Lower bounds only ever raise the burst assumed from a flag (a busy bucket is never seen full), while a
        // measured capacity may lower it: the server's burst can be far smaller than a minute's worth.
        var assumed = flag is not null ? r * DefaultBurstSeconds : 0;
        var capacity = evidence.Measured > 0 ? evidence.Measured : Math.Max(evidence.AtLeast, assumed);
        capacity = Usable(capacity > 0 ? Math.Min(capacity, r * 60) : r * DefaultBurstSeconds, r);
        if (budget is null)
        {
            budget = new TokenBudget(_time, r, capacity);
            _logger?.LogInformation("Learned a limit of {Limit:0} {What} per minute from response headers.", r * 60, what);
        }
        else
        {
            if (Math.Abs(budget.RatePerSecond - r) > 1e-9)
            {
                _logger?.LogInformation("The {What} limit changed from {Old:0} to {New:0} per minute.", what, budget.RatePerSecond * 60, r * 60);
                budget.SetRate(r);
            }

            if (Math.Abs(budget.Capacity - capacity) > 1e-9)
            {
                budget.SetCapacity(capacity);
            }
        }

        if (remaining is { } rem)
        {
            // What the server had when it answered, plus its refill since, minus what was sent after this request
            // (the server counts those too): an upper bound of its level now, so the client never believes it has more.
            budget.Correct(Math.Min(budget.Capacity, rem + (refill * elapsed) - dispatchedSince));
        }

        return budget;
    }

    /// <summary>The server's capacity less the jitter allowance (never below half of it, nor below one unit).</summary>
    private double Usable(double serverCapacity, double ratePerSecond) =>
        Math.Max(1, Math.Max(serverCapacity / 2, serverCapacity - (ratePerSecond * _jitterAllowanceSeconds)));

    private void Pause(in RateLease lease, RateLimitHeaders headers, long now)
    {
        var wait = headers.RetryAfter ?? ResetOfExhausted(lease, headers) ?? FallbackPause;
        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        // A retry-after of days (a quota, not a rate) must not overflow the clock arithmetic; the retry layer
        // decides whether such an item is worth waiting for.
        wait = wait < TimeSpan.FromDays(1) ? wait : TimeSpan.FromDays(1);

        var until = now + (long)(wait.TotalSeconds * _time.TimestampFrequency);
        if (until > _pausedUntil)
        {
            _pausedUntil = until;
            _pausedUntilUtc = _time.GetUtcNow() + wait;
            _logger?.LogInformation("Rate limited (429): pausing all dispatch for {Wait}.", wait);
        }
    }

    /// <summary>The reset of the budget the 429 says is exhausted; failing that, the sooner of the resets given.</summary>
    private static TimeSpan? ResetOfExhausted(in RateLease lease, RateLimitHeaders headers)
    {
        TimeSpan? exhausted = null;
        if (headers.RemainingRequests is <= 0 && headers.ResetRequests is { } rr)
        {
            exhausted = rr;
        }

        if (headers.RemainingTokens is { } rt && rt < lease.Tokens && headers.ResetTokens is { } tr)
        {
            exhausted = exhausted is { } e && e > tr ? e : tr;
        }

        if (exhausted is not null)
        {
            return exhausted;
        }

        return (headers.ResetRequests, headers.ResetTokens) switch
        {
            ({ } a, { } b) => a < b ? a : b,
            ({ } a, null) => a,
            (null, { } b) => b,
            _ => null,
        };
    }

    /// <summary>What responses have shown of a server bucket's capacity.</summary>
    private struct CapacityEvidence
    {
        /// <summary>The largest remaining-plus-this-request seen: the capacity is at least this.</summary>
        public double AtLeast;

        /// <summary>The largest remaining-plus-refill-until-reset seen, or 0 when no reset header came.</summary>
        public double Measured;
    }

    /// <summary>One queued acquisition; it is its own completion source to save an allocation.</summary>
    private sealed class Waiter(ResourceController owner, BatchCall call, long tokens, long enqueuedAt)
        : TaskCompletionSource<RateLease>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public BatchCall Call { get; } = call;

        public long Tokens { get; } = tokens;

        public long EnqueuedAt { get; } = enqueuedAt;

        /// <summary>Admitted or cancelled; guarded by the owner's lock.</summary>
        public bool Finished { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public void Cancel(CancellationToken cancellationToken)
        {
            lock (owner._lock)
            {
                if (Finished)
                {
                    return;
                }

                Finished = true;
                owner._waiting--;

                // The head may have been what held the others back (a large request): let the next one try.
                if (owner._queue.TryPeek(out var head) && ReferenceEquals(head, this))
                {
                    owner.Pump(owner._time.GetTimestamp());
                }
            }

            TrySetCanceled(cancellationToken);
        }
    }
}
