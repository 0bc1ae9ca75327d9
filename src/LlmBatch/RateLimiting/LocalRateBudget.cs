using Microsoft.Extensions.Logging;

namespace LlmBatch.RateLimiting;

/// <summary>
/// The budget of one process, in memory: two <see cref="LimitLearner"/>s (requests and tokens: flags, headers,
/// enforcement windows, others on the key) and the <see cref="PauseGate"/>. The default <see cref="IRateBudget"/>,
/// and what a run on one machine has always done. Every call completes at once. Not thread-safe: the controller
/// calls it under its lock.
/// </summary>
internal sealed class LocalRateBudget : IRateBudget
{
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly PauseGate _pause;
    private readonly LimitLearner _requests;
    private readonly LimitLearner _tokens;
    private long _requestsDispatched;
    private long _tokensDispatched;

    /// <summary>Creates the budget for a run.</summary>
    /// <param name="options">Rate flags and header learning.</param>
    /// <param name="timeProvider">The clock for budgets and pauses.</param>
    /// <param name="logger">Told when limits are learned and when a server's wait pauses the run.</param>
    /// <param name="jitterAllowance">How far below the server's bucket the client keeps its own (see <see cref="ResourceController.DefaultJitterAllowance"/>).</param>
    public LocalRateBudget(BatchOptions options, TimeProvider timeProvider, ILogger? logger, TimeSpan jitterAllowance)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _time = timeProvider;
        _logger = logger;
        var jitter = jitterAllowance.TotalSeconds;
        _requests = new LimitLearner(timeProvider, "requests", options.RequestsPerMinute, options.LearnLimitsFromHeaders, jitter, logger);
        _tokens = new LimitLearner(timeProvider, "tokens", options.TokensPerMinute, options.LearnLimitsFromHeaders, jitter, logger);
        _pause = new PauseGate(timeProvider);
    }

    /// <inheritdoc />
    public double? RequestsPerMinute => _requests.PerMinute;

    /// <inheritdoc />
    public double? TokensPerMinute => _tokens.PerMinute;

    /// <inheritdoc />
    public DateTimeOffset? PausedUntil => _pause.UntilUtc(_time.GetTimestamp());

    /// <inheritdoc />
    // Half the bucket: a take that leaves the level at least that high is admitted whether the prompt is counted
    // or bounded, and the bucket holding that much means neither this run nor others on the key (whose spend the
    // remaining header takes out of the level) are near the limit. Below it every prompt is counted, so the bound's
    // surplus costs at most half a bucket of refill, once, when the budget starts to bind.
    public bool HasTokenHeadroom(long tokens, long now) =>
        _tokens.Budget is not { } budget || budget.Level - tokens >= budget.Capacity * 0.5;

    /// <inheritdoc />
    public ValueTask<BudgetDecision> TryTakeAsync(long requests, long tokens, long now, CancellationToken cancellationToken)
    {
        var delay = _pause.Remaining(now);
        if (delay > TimeSpan.Zero)
        {
            return new ValueTask<BudgetDecision>(BudgetDecision.Wait(delay));
        }

        if (_requests.Budget is { } forRequests)
        {
            delay = forRequests.TimeUntil(requests);
        }

        if (_tokens.Budget is { } forTokens && forTokens.TimeUntil(tokens) is var tokenWait && tokenWait > delay)
        {
            delay = tokenWait;
        }

        if (delay > TimeSpan.Zero)
        {
            return new ValueTask<BudgetDecision>(BudgetDecision.Wait(delay));
        }

        _requests.Budget?.TryTake(requests);
        _tokens.Budget?.TryTake(tokens);
        _requestsDispatched += requests;
        _tokensDispatched += tokens;
        return new ValueTask<BudgetDecision>(BudgetDecision.Take(new BudgetGrant(requests, tokens, _requestsDispatched, _tokensDispatched, now)));
    }

    /// <inheritdoc />
    public ValueTask SettleAsync(BudgetGrant grant, BudgetOutcome outcome, long now, CancellationToken cancellationToken)
    {
        if (!outcome.Sent)
        {
            // The dispatched counts keep it: they only tell a later header what went out after it, and one too many
            // makes the learner believe the server has a little less left, never more.
            _requests.Budget?.Refund(grant.Requests);
            _tokens.Budget?.Refund(grant.Tokens);
            return default;
        }

        if (outcome.Headers is not { } headers)
        {
            // No answer: the reservation stays charged, since the server may have counted the request.
            return default;
        }

        if (outcome.ActualTokens >= 0 && _tokens.Budget is { } tokens)
        {
            // A server that reports what it has left keeps its own books: OpenAI charges max_tokens at admission
            // and refunds nothing, so a local refund would run ahead of it (measured: 2 % of requests answered 429
            // at a token limit, 0.5 % without the refund). Overruns are still charged.
            var delta = outcome.ActualTokens - grant.Tokens;
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
            _requests.OnHeaders(headers.LimitRequests, headers.RemainingRequests, headers.ResetRequests, grant.RequestsDispatched, _requestsDispatched - grant.RequestsDispatched, grant.Stamp, now);
            _tokens.OnHeaders(headers.LimitTokens, headers.RemainingTokens, headers.ResetTokens, grant.TokensDispatched, _tokensDispatched - grant.TokensDispatched, grant.Stamp, now);
        }

        if (!outcome.TokensCharged && _tokens.Budget is { } unused)
        {
            // Refused before it ran (a 400 for a prompt too long, a 429 for the request budget): the server charged
            // no tokens, and a request larger than the whole bucket would otherwise leave a debt that stalls the run.
            unused.Refund(grant.Tokens);
        }

        switch (outcome.Kind)
        {
            case ThrottleKind.RateLimited:
                // The server charged nothing for the refusal; only the budget it names learns a shorter window.
                _requests.OnRateLimited(grant.Stamp, grant.Requests, now, cut: outcome.Scope != RateLimitScope.Tokens);
                _tokens.OnRateLimited(grant.Stamp, grant.Tokens, now, cut: outcome.Scope != RateLimitScope.Requests);
                break;
            case ThrottleKind.Overloaded:
                _requests.OnRateLimited(grant.Stamp, grant.Requests, now, cut: false);
                _tokens.OnRateLimited(grant.Stamp, grant.Tokens, now, cut: false);
                break;
        }

        return default;
    }

    /// <inheritdoc />
    public ValueTask PauseAsync(TimeSpan wait, string reason, long now, CancellationToken cancellationToken)
    {
        if (_pause.Pause(wait, now))
        {
            // Quantised windows answer "try again in 10ms" many times a second: only waits a person notices are worth a line.
            var level = wait >= TimeSpan.FromSeconds(1) ? LogLevel.Information : LogLevel.Debug;
            _logger?.Log(level, "{Why}: pausing all dispatch for {Wait}.", reason, wait);
        }

        return default;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Nothing held: the queue's timer, not the budget, wakes waiters.
    }
}
