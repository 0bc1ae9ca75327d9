using LlmBatch.Concurrency;
using LlmBatch.Input;
using LlmBatch.Providers;
using Microsoft.Extensions.Logging;

namespace LlmBatch.RateLimiting;

/// <summary>
/// The resource controller: decides when each attempt may go. It composes four pieces, each testable alone: the
/// <see cref="AdmissionQueue"/> (first in, first out), the <see cref="PauseGate"/> (the run-wide wait a server asked
/// for), two <see cref="LimitLearner"/>s (the request and token budgets: flags, headers, enforcement windows, others
/// on the key) and the <see cref="AdaptiveConcurrencyLimit"/> (servers bound by slots rather than budgets).
/// Attempts acquire a lease before they are sent and hand it back with the response (<see cref="OnResponse"/>) or
/// without one (<see cref="OnFailure"/>); everything the controller learns comes from those two calls.
/// </summary>
internal sealed class ResourceController : IAdmissionPolicy, IDisposable
{
    /// <summary>
    /// The client's bucket is kept this much (in seconds of refill) below the server's: requests admitted in order
    /// reach the server with varying delays (scheduling, connection setup, GC), and two that arrive closer together
    /// than they left would otherwise overrun a server bucket the client had tracked exactly. The refill rate is
    /// untouched, so throughput does not suffer; only the burst is a little smaller. 50 ms let 1-2 % of requests
    /// through to a 429 on a loaded machine (docs/benchmarks.md); 150 ms costs a tenth of a second once per run.
    /// </summary>
    internal static readonly TimeSpan DefaultJitterAllowance = TimeSpan.FromMilliseconds(150);

    /// <summary>A rate-limit answer that says neither how long to wait nor when its budget resets pauses the run this long.</summary>
    private static readonly TimeSpan s_fallbackPause = TimeSpan.FromSeconds(1);

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
    private readonly ILogger? _logger;
    private readonly int _defaultMaxOutputTokens;
    private readonly AdmissionQueue _queue;
    private readonly PauseGate _pause;
    private readonly LimitLearner _requests;
    private readonly LimitLearner _tokens;
    private readonly AdaptiveConcurrencyLimit _concurrency;
    private long _requestsDispatched;
    private long _tokensDispatched;
    private double _successLatencySeconds;
    private bool _stopped;
    private bool _disposed;

    /// <summary>Creates the controller for a run.</summary>
    /// <param name="options">Rate flags, header learning, concurrency and the default completion reservation.</param>
    /// <param name="timeProvider">The clock for budgets, waits and pauses.</param>
    /// <param name="logger">Told when limits are learned and when a server's wait pauses the run.</param>
    /// <param name="jitterAllowance">How far below the server's bucket the client keeps its own (default <see cref="DefaultJitterAllowance"/>).</param>
    public ResourceController(BatchOptions options, TimeProvider timeProvider, ILogger? logger = null, TimeSpan? jitterAllowance = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _time = timeProvider;
        _logger = logger;
        _defaultMaxOutputTokens = Math.Max(0, options.DefaultMaxOutputTokens);
        var jitter = (jitterAllowance ?? DefaultJitterAllowance).TotalSeconds;
        _requests = new LimitLearner(timeProvider, "requests", options.RequestsPerMinute, options.LearnLimitsFromHeaders, jitter, logger);
        _tokens = new LimitLearner(timeProvider, "tokens", options.TokensPerMinute, options.LearnLimitsFromHeaders, jitter, logger);
        _pause = new PauseGate(timeProvider);

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
                return _requests.PerMinute;
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
                return _tokens.PerMinute;
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
                return _pause.UntilUtc(_time.GetTimestamp());
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
    /// Waits, first in first out, until no pause is in force, a concurrency slot is free and the budgets allow one
    /// more request of this call's cost, then reserves it. Sets <see cref="BatchCall.ReservedTokens"/> and adds the
    /// wait to <see cref="BatchCall.LimiterWait"/>.
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

        AdmissionQueue.Waiter? waiter;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_stopped)
            {
                return ValueTask.FromException<RateLease>(new DispatchStoppedException());
            }

            waiter = _queue.Enter(call, tokens, _time.GetTimestamp(), out var admitted);
            if (waiter is null)
            {
                return new ValueTask<RateLease>(admitted);
            }
        }

        return _queue.Await(waiter, cancellationToken);
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
        var headers = response.Headers ?? RateLimitHeaders.Empty;

        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var latency = _time.GetElapsedTime(lease.AdmittedAt, now);
            if (settled >= 0 && _tokens.Budget is { } tokens)
            {
                // A server that reports what it has left keeps its own books: OpenAI charges max_tokens at admission
                // and refunds nothing, so a local refund would run ahead of it (measured: 2 % of requests answered 429
                // at a token limit, 0.5 % without the refund). Overruns are still charged.
                var delta = settled - lease.Tokens;
                if (delta < 0 && headers.RemainingTokens is null)
                {
                    tokens.Refund(-delta);
                }
                else
                {
                    tokens.Charge(delta);
                }
            }

            if (headers.HasLimits)
            {
                _requests.OnHeaders(headers.LimitRequests, headers.RemainingRequests, headers.ResetRequests, lease.RequestsDispatched, _requestsDispatched - lease.RequestsDispatched, lease.AdmittedAt, now);
                _tokens.OnHeaders(headers.LimitTokens, headers.RemainingTokens, headers.ResetTokens, lease.TokensDispatched, _tokensDispatched - lease.TokensDispatched, lease.AdmittedAt, now);
                if (_requests.Budget is not null || _tokens.Budget is not null)
                {
                    _concurrency.OnBudgetKnown();
                }
            }

            if (NotCharged(response.StatusCode, kind, scope) && _tokens.Budget is { } unused)
            {
                // Refused before it ran (a 400 for a prompt too long, a 429 for the request budget): the server charged
                // no tokens, and a request larger than the whole bucket would otherwise leave a debt that stalls the run.
                unused.Refund(lease.Tokens);
            }

            switch (kind)
            {
                case ThrottleKind.RateLimited:
                    // The server charged nothing for the refusal; only the budget it names learns a shorter window.
                    _requests.OnRateLimited(lease.AdmittedAt, 1, now, cut: scope != RateLimitScope.Tokens);
                    _tokens.OnRateLimited(lease.AdmittedAt, lease.Tokens, now, cut: scope != RateLimitScope.Requests);
                    _concurrency.OnOtherOutcome(lease.Sequence, lease.InFlightAreaAtStart, latency);
                    // A refusal while the headers still show budget is a short enforcement window: the emptied bucket
                    // paces the retry, no run-wide pause. Otherwise wait as long as the server says, else until the
                    // exhausted budget resets, else a second.
                    if ((headers.RetryAfter ?? suggestedWait ?? ResetOfExhausted(lease, headers) ?? (ClaimsBudget(lease, headers) ? null : s_fallbackPause)) is { } pause)
                    {
                        Pause(pause, now, "Rate limited (429)");
                    }
                    break;
                case ThrottleKind.Overloaded:
                    _requests.OnRateLimited(lease.AdmittedAt, 1, now, cut: false);
                    _tokens.OnRateLimited(lease.AdmittedAt, lease.Tokens, now, cut: false);
                    if (IsFastRefusal(latency))
                    {
                        _concurrency.OnOverload(lease.Sequence, lease.ConcurrencyAtStart);
                    }
                    else
                    {
                        _concurrency.OnOtherOutcome(lease.Sequence, lease.InFlightAreaAtStart, latency);
                    }

                    if (headers.RetryAfter is { } wait)
                    {
                        Pause(wait, now, $"Server overloaded ({response.StatusCode})");
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
            _concurrency.OnOtherOutcome(lease.Sequence, lease.InFlightAreaAtStart, _time.GetElapsedTime(lease.AdmittedAt));
            _queue.Pump(_time.GetTimestamp());
        }
    }

    /// <summary>Stops the timer and fails every waiter.</summary>
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
        delay = _pause.Remaining(now);
        if (delay > TimeSpan.Zero)
        {
            return false;
        }

        if (!_concurrency.HasRoom)
        {
            // Only an answer frees a slot; it pumps the queue.
            delay = Timeout.InfiniteTimeSpan;
            return false;
        }

        if (_requests.Budget is { } requests)
        {
            delay = requests.TimeUntil(1);
        }

        if (_tokens.Budget is { } budget)
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

        _requests.Budget?.TryTake(1);
        _tokens.Budget?.TryTake(tokens);
        _requestsDispatched++;
        _tokensDispatched += tokens;
        var sequence = _concurrency.OnStart();
        lease = new RateLease(tokens, now, _requestsDispatched, _tokensDispatched, sequence, _concurrency.InFlight, _concurrency.InFlightArea);
        return true;
    }

    /// <summary>True for answers that say the server refused the request before spending tokens on it.</summary>
    private static bool NotCharged(int status, ThrottleKind kind, RateLimitScope scope) =>
        kind switch
        {
            ThrottleKind.RateLimited => scope == RateLimitScope.Requests,
            ThrottleKind.RequestTooLarge or ThrottleKind.QuotaExhausted => true,
            _ => status is >= 400 and < 500 and not 408 and not 409 and not 429,
        };

    private bool IsFastRefusal(TimeSpan latency) =>
        latency < s_fastRefusal || _successLatencySeconds == 0 || latency.TotalSeconds < _successLatencySeconds * FastRefusalShare;

    private void Pause(TimeSpan wait, long now, string why)
    {
        if (_pause.Pause(wait, now))
        {
            // Quantised windows answer "try again in 10ms" many times a second: only waits a person notices are worth a line.
            var level = wait >= TimeSpan.FromSeconds(1) ? LogLevel.Information : LogLevel.Debug;
            _logger?.Log(level, "{Why}: pausing all dispatch for {Wait}.", why, wait);
        }
    }

    /// <summary>The reset of the budget the 429's headers show exhausted (the later, when both are); null when neither is.</summary>
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

        return exhausted;
    }

    /// <summary>True when the 429's remaining headers show enough of every budget they give for this request.</summary>
    private static bool ClaimsBudget(in RateLease lease, RateLimitHeaders headers) =>
        (headers.RemainingRequests is not null || headers.RemainingTokens is not null)
        && headers.RemainingRequests is null or > 0
        && (headers.RemainingTokens is not { } rt || rt >= lease.Tokens);
}
