using System.Globalization;
using LlmBatch.RateLimiting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace LlmBatch.Redis.RateLimiting;

/// <summary>
/// An <see cref="IRateBudget"/> kept in Redis, so that every process drawing on one provider key shares one set of
/// books: the request and token buckets, the limits learned from headers and 429s, the pauses servers ask for, and
/// each job's share while several take (<see cref="RedisBudgetScripts"/>). One round trip per take and at most one
/// per settlement; a settlement that carries nothing the store does not know (no answer, or an answer without usage,
/// limits or a throttle) and a take during a pause this process already knows of cost none.
/// </summary>
/// <remarks>
/// Called under the controller's lock, one call at a time (see <see cref="IRateBudget"/>): the script is started
/// there and its reply read in a continuation, which only writes the fields the controller reads (rates, pause),
/// each a single reference or double. When Redis cannot be reached a take answers "wait" with a backoff that grows
/// to <see cref="RedisRateBudgetOptions.MaxRetryDelay"/>: nothing is sent unmetered, the outage is logged once, and
/// the run's stall timeout ends a run that Redis never comes back for (<see cref="UnreachableSince"/>).
/// </remarks>
internal sealed class RedisRateBudget : IRateBudget
{
    private static readonly TimeSpan s_firstRetry = TimeSpan.FromMilliseconds(50);

    private readonly IDatabase _database;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly RedisKey[] _keys;
    private readonly RedisValue _jobId;
    private readonly RedisValue _weight;
    private readonly RedisValue _leaseMicroseconds;
    private readonly RedisValue _idleMilliseconds;
    private readonly RedisValue _requestFlag;
    private readonly RedisValue _tokenFlag;
    private readonly bool _learn;
    private readonly TimeSpan _maxRetry;
    private double _requestsPerMinute;
    private double _tokensPerMinute;
    private Pause? _pause;
    private TimeSpan _retry = s_firstRetry;
    private long _unreachableSince;
    private bool _disposed;

    /// <summary>Creates the budget of one engine.</summary>
    /// <param name="database">The Redis database.</param>
    /// <param name="key">The budget's key (<see cref="RedisBudgetKey"/>).</param>
    /// <param name="options">Validated options: job id, weight, leases.</param>
    /// <param name="batch">The run's options: the rate flags (this job's cap) and whether to learn from headers.</param>
    /// <param name="timeProvider">The local clock, for waits only: the store keeps its own time.</param>
    /// <param name="logger">Told of learned limits, pauses and outages.</param>
    public RedisRateBudget(IDatabase database, string key, RedisRateBudgetOptions options, BatchOptions batch, TimeProvider timeProvider, ILogger? logger)
    {
        _database = database;
        _time = timeProvider;
        _logger = logger;
        _keys = [key, key + ":takers", key + ":weights", key + ":job:" + options.JobId];
        _jobId = options.JobId;
        _weight = options.ShareWeight;
        _leaseMicroseconds = (long)(options.TakerTimeout.Ticks / TimeSpan.TicksPerMicrosecond);
        _idleMilliseconds = (long)options.IdleExpiry.TotalMilliseconds;
        _maxRetry = options.MaxRetryDelay;
        _learn = batch.LearnLimitsFromHeaders;
        _requestFlag = PerSecond(batch.RequestsPerMinute);
        _tokenFlag = PerSecond(batch.TokensPerMinute);

        // Until the store answers, a flag is the best word on this job's rate (and says the budget paces the run).
        _requestsPerMinute = batch.RequestsPerMinute is > 0 and var r ? r : double.NaN;
        _tokensPerMinute = batch.TokensPerMinute is > 0 and var t ? t : double.NaN;
    }

    /// <inheritdoc />
    public double? RequestsPerMinute => Known(Volatile.Read(ref _requestsPerMinute));

    /// <inheritdoc />
    public double? TokensPerMinute => Known(Volatile.Read(ref _tokensPerMinute));

    /// <inheritdoc />
    public DateTimeOffset? PausedUntil => Volatile.Read(ref _pause) is { } p && _time.GetTimestamp() < p.Until ? p.UntilUtc : null;

    /// <inheritdoc />
    public long? UnreachableSince => Volatile.Read(ref _unreachableSince) is var since and not 0 ? since : null;

    /// <inheritdoc />
    public ValueTask<BudgetDecision> TryTakeAsync(long requests, long tokens, long now, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _pause) is { } pause && now < pause.Until)
        {
            // The store would say the same: every taker waits out a pause.
            return new ValueTask<BudgetDecision>(BudgetDecision.Wait(_time.GetElapsedTime(now, pause.Until)));
        }

        if (!_database.Multiplexer.IsConnected)
        {
            return new ValueTask<BudgetDecision>(Unreachable(null));
        }

        return TakeAsync(requests, tokens, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask SettleAsync(BudgetGrant grant, BudgetOutcome outcome, long now, CancellationToken cancellationToken)
    {
        if (!CarriesNews(outcome) || !_database.Multiplexer.IsConnected)
        {
            return default;
        }

        var headers = outcome.Headers ?? RateLimitHeaders.Empty;
        RedisValue[] args =
        [
            grant.Stamp, grant.Requests, grant.Tokens, grant.RequestsDispatched, grant.TokensDispatched, outcome.Sent ? 1 : 0,
            headers.LimitRequests ?? -1, headers.RemainingRequests ?? -1, Seconds(headers.ResetRequests),
            headers.LimitTokens ?? -1, headers.RemainingTokens ?? -1, Seconds(headers.ResetTokens),
            outcome.ActualTokens, outcome.TokensCharged ? 1 : 0,
            outcome.Kind switch { ThrottleKind.RateLimited => 1, ThrottleKind.Overloaded => 2, _ => 0 },
            (int)outcome.Scope, _learn ? 1 : 0,
            _jobId, _weight, _leaseMicroseconds, _idleMilliseconds, _requestFlag, _tokenFlag,
        ];
        return SettleCoreAsync(args, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask PauseAsync(TimeSpan wait, string reason, long now, CancellationToken cancellationToken)
    {
        if (wait <= TimeSpan.Zero)
        {
            return default;
        }

        wait = wait < PauseGate.LongestPause ? wait : PauseGate.LongestPause;
        var until = now + (long)(wait.TotalSeconds * _time.TimestampFrequency);
        if (Volatile.Read(ref _pause) is { } current && current.Until >= until)
        {
            // A pause this process already holds came from the store or went to it: nothing new to say.
            return default;
        }

        Volatile.Write(ref _pause, new Pause(until, _time.GetUtcNow() + wait));
        var level = wait >= TimeSpan.FromSeconds(1) ? LogLevel.Information : LogLevel.Debug;
        _logger?.Log(level, "{Why}: pausing all dispatch on the shared budget for {Wait}.", reason, wait);
        if (!_database.Multiplexer.IsConnected)
        {
            return default;
        }

        return PauseCoreAsync(wait, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_database.Multiplexer.IsConnected)
        {
            // The job's share goes back to the others now rather than when its lease lapses.
            _database.ScriptEvaluate(RedisBudgetScripts.Leave.Text, _keys, [_jobId], CommandFlags.FireAndForget);
        }
    }

    /// <summary>False for outcomes the store can learn nothing from: no answer (the grant stays charged), or an
    /// answer with no usage to settle, no limits, no throttle and no refund due.</summary>
    private bool CarriesNews(in BudgetOutcome outcome)
    {
        if (!outcome.Sent)
        {
            return true;
        }

        if (outcome.Headers is not { } headers)
        {
            return false;
        }

        var tokenBudget = !double.IsNaN(Volatile.Read(ref _tokensPerMinute));
        return headers.HasLimits
            || outcome.Kind is ThrottleKind.RateLimited or ThrottleKind.Overloaded
            || (tokenBudget && (outcome.ActualTokens >= 0 || !outcome.TokensCharged));
    }

    private async ValueTask<BudgetDecision> TakeAsync(long requests, long tokens, CancellationToken cancellationToken)
    {
        RedisResult[] reply;
        try
        {
            var result = await RedisBudgetScripts.Take
                .EvaluateAsync(_database, _keys, [requests, tokens, _jobId, _weight, _leaseMicroseconds, _idleMilliseconds, _requestFlag, _tokenFlag])
                .WaitAsync(cancellationToken)
                .ConfigureAwait(false);
            reply = (RedisResult[])result!;
        }
        catch (Exception e) when (IsOutage(e))
        {
            return Unreachable(e);
        }

        Reachable();
        var at = _time.GetTimestamp();
        SetRates(reply[4], reply[5]);
        SetPause((long)reply[6], at);
        if ((long)reply[0] == 1)
        {
            return BudgetDecision.Take(new BudgetGrant(requests, tokens, (long)reply[2], (long)reply[3], (long)reply[1]));
        }

        return BudgetDecision.Wait(TimeSpan.FromTicks(Math.Max(1, (long)reply[1]) * TimeSpan.TicksPerMicrosecond));
    }

    private async ValueTask SettleCoreAsync(RedisValue[] args, CancellationToken cancellationToken)
    {
        RedisResult[] reply;
        try
        {
            var result = await RedisBudgetScripts.Settle.EvaluateAsync(_database, _keys, args).WaitAsync(cancellationToken).ConfigureAwait(false);
            reply = (RedisResult[])result!;
        }
        catch (Exception e) when (IsOutage(e))
        {
            // The take path waits for the store and says so once; a settlement lost meanwhile leaves its grant charged.
            _logger?.LogDebug(e, "A settlement of the shared rate budget was lost.");
            return;
        }

        SetRates(reply[0], reply[1]);
        Learned((long)reply[2], "requests");
        Learned((long)reply[3], "tokens");
    }

    private async ValueTask PauseCoreAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            var result = await RedisBudgetScripts.Pause
                .EvaluateAsync(_database, _keys, [(long)(wait.Ticks / TimeSpan.TicksPerMicrosecond), _idleMilliseconds])
                .WaitAsync(cancellationToken)
                .ConfigureAwait(false);
            var reply = (RedisResult[])result!;
            SetPause((long)reply[1], _time.GetTimestamp());
        }
        catch (Exception e) when (IsOutage(e))
        {
            _logger?.LogDebug(e, "A pause could not reach the shared rate budget; it holds in this process.");
        }
    }

    private void Learned(long limit, string what)
    {
        if (limit > 0)
        {
            _logger?.LogInformation("Learned a limit of {Limit} {What} per minute from response headers, shared through Redis.", limit, what);
        }
    }

    private void SetRates(RedisResult requests, RedisResult tokens)
    {
        Volatile.Write(ref _requestsPerMinute, PerMinute(requests));
        Volatile.Write(ref _tokensPerMinute, PerMinute(tokens));
    }

    private void SetPause(long microseconds, long at)
    {
        if (microseconds <= 0)
        {
            return;
        }

        var wait = TimeSpan.FromTicks(microseconds * TimeSpan.TicksPerMicrosecond);
        var until = at + (long)(wait.TotalSeconds * _time.TimestampFrequency);
        if (Volatile.Read(ref _pause) is not { } current || current.Until < until)
        {
            Volatile.Write(ref _pause, new Pause(until, _time.GetUtcNow() + wait));
        }
    }

    private BudgetDecision Unreachable(Exception? error)
    {
        if (Interlocked.CompareExchange(ref _unreachableSince, Math.Max(1, _time.GetTimestamp()), 0) == 0)
        {
            _logger?.LogWarning(
                "The shared rate budget in Redis cannot be reached ({Error}): dispatch waits and tries again, every {Max} at most, until it answers.",
                error?.Message ?? "not connected", _maxRetry);
        }

        var wait = _retry;
        _retry = TimeSpan.FromTicks(Math.Min(_maxRetry.Ticks, _retry.Ticks * 2));
        return BudgetDecision.Wait(wait);
    }

    private void Reachable()
    {
        _retry = s_firstRetry;
        if (Interlocked.Exchange(ref _unreachableSince, 0) != 0)
        {
            _logger?.LogInformation("The shared rate budget in Redis answers again: dispatch resumes.");
        }
    }

    /// <summary>Errors of the store or the way to it (not a cancellation): the take waits and tries again.</summary>
    private static bool IsOutage(Exception e) => e is RedisException or TimeoutException or ObjectDisposedException;

    private static double PerMinute(RedisResult perSecond) =>
        (string?)perSecond is { Length: > 0 } text ? double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) * 60 : double.NaN;

    private static RedisValue PerSecond(double? perMinute) => perMinute is > 0 and var p && double.IsFinite(p) ? p / 60 : 0;

    private static RedisValue Seconds(TimeSpan? span) => span is { } s ? s.TotalSeconds : -1;

    private static double? Known(double value) => double.IsNaN(value) ? null : value;

    /// <summary>A pause in force: until when on the local clock, and in UTC for the progress line.</summary>
    private sealed record Pause(long Until, DateTimeOffset UntilUtc);
}
