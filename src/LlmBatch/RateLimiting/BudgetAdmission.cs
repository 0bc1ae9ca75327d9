using Microsoft.Extensions.Logging;

namespace LlmBatch.RateLimiting;

/// <summary>
/// The controller's side of its <see cref="IRateBudget"/>: asks it for the head of the admission queue, settles and
/// pauses it, and copes with a budget that answers later. An in-process budget answers every call at once and this
/// class adds nothing but a branch. A shared one (in Redis) answers after a round trip: then only one take is in
/// flight at a time, for the head, so that nobody overtakes it; the grant waits here for the head, a "wait" is kept
/// so that the store is not asked again before it said, and an error fails the head rather than the run.
/// Every member is called under the owner's lock; late answers take that lock themselves.
/// </summary>
internal sealed class BudgetAdmission : IDisposable
{
    /// <summary>A budget that turns the head away without a wait is asked again after this.</summary>
    private static readonly TimeSpan s_shortestRetry = TimeSpan.FromMilliseconds(1);

    private readonly IRateBudget _budget;
    private readonly Lock _lock;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly LateAnswer _onLateAnswer;
    private readonly CancellationTokenSource _disposing = new();
    private bool _taking;
    private BudgetGrant? _ready;
    private long _retryAt;
    private bool _disposed;

    /// <summary>Creates it over <paramref name="budget"/>, which it owns.</summary>
    /// <param name="budget">The budget.</param>
    /// <param name="gate">The owner's lock.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">Told when a settlement fails.</param>
    /// <param name="onLateAnswer">Called under the lock when the budget answered later (see <see cref="LateAnswer"/>).</param>
    public BudgetAdmission(IRateBudget budget, Lock gate, TimeProvider timeProvider, ILogger? logger, LateAnswer onLateAnswer)
    {
        _budget = budget;
        _lock = gate;
        _time = timeProvider;
        _logger = logger;
        _onLateAnswer = onLateAnswer;
    }

    /// <summary>
    /// What the owner does when the budget answered a call later: learn that limits may be known, fail the head
    /// with the take's error (it returns the waiter to fail, which is failed outside the lock) and pump the queue.
    /// </summary>
    /// <param name="learned">A settlement with rate-limit headers completed.</param>
    /// <param name="takeError">The error of a take that failed, or null.</param>
    public delegate AdmissionQueue.Waiter? LateAnswer(bool learned, Exception? takeError);

    /// <summary>The budget.</summary>
    public IRateBudget Budget => _budget;

    /// <summary>True once a request or token budget is known (from a flag or headers): the budget paces the run.</summary>
    public bool IsKnown => _budget.RequestsPerMinute is not null || _budget.TokensPerMinute is not null;

    /// <summary>
    /// Takes one request of <paramref name="tokens"/> for the head: true with the grant when the budget gave it now;
    /// otherwise the wait before asking again (<see cref="Timeout.InfiniteTimeSpan"/> while the budget's answer is
    /// on its way: it pumps the queue when it arrives).
    /// </summary>
    public bool TryTake(long tokens, long now, out BudgetGrant grant, out TimeSpan delay)
    {
        grant = default;
        delay = Timeout.InfiniteTimeSpan;
        if (_taking)
        {
            return false;
        }

        if (now < _retryAt)
        {
            delay = _time.GetElapsedTime(now, _retryAt);
            return false;
        }

        if (_ready is { } ready)
        {
            _ready = null;
            if (ready.Tokens == tokens)
            {
                grant = ready;
                delay = TimeSpan.Zero;
                return true;
            }

            // Taken for a head that was cancelled meanwhile, at another cost: give it back and ask for this one's.
            Settle(ready, BudgetOutcome.NotSent, now);
        }

        ValueTask<BudgetDecision> take;
        try
        {
            take = _budget.TryTakeAsync(1, tokens, now, _disposing.Token);
        }
        catch (Exception e)
        {
            take = ValueTask.FromException<BudgetDecision>(e);
        }

        if (!take.IsCompletedSuccessfully)
        {
            _taking = true;
            _ = FinishTakeAsync(take.AsTask());
            return false;
        }

        var decision = take.Result;
        grant = decision.Grant;
        delay = RetryDelay(decision);
        return decision.Granted;
    }

    /// <summary>Settles a grant; true when the budget settled it at once, so that what it learned is known now.</summary>
    public bool Settle(in BudgetGrant grant, in BudgetOutcome outcome, long now) =>
        !_disposed && Observe(_budget.SettleAsync(grant, outcome, now, _disposing.Token), learns: outcome.Headers is { HasLimits: true });

    /// <summary>Pauses every taker of the budget for <paramref name="wait"/>.</summary>
    public void Pause(TimeSpan wait, string reason, long now)
    {
        if (!_disposed)
        {
            Observe(_budget.PauseAsync(wait, reason, now, _disposing.Token), learns: false);
        }
    }

    /// <summary>Cancels what is in flight and disposes the budget. A grant held for a head is dropped with it.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        // Cancelled, not disposed: an answer that arrives after the run may still read its token.
        _disposing.Cancel();
        _budget.Dispose();
    }

    private async Task FinishTakeAsync(Task<BudgetDecision> take)
    {
        BudgetDecision decision = default;
        Exception? error = null;
        try
        {
            // Forced to yield: the continuation takes the lock, and must never run inline inside the caller's.
            decision = await take.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        }
        catch (Exception e)
        {
            error = e;
        }

        AdmissionQueue.Waiter? failed;
        lock (_lock)
        {
            _taking = false;
            if (_disposed)
            {
                return;
            }

            if (error is null && decision.Granted)
            {
                _ready = decision.Grant;
            }
            else if (error is null)
            {
                // Asking a shared budget again costs a round trip: not before it said.
                _retryAt = _time.GetTimestamp() + (long)(RetryDelay(decision).TotalSeconds * _time.TimestampFrequency);
            }

            failed = _onLateAnswer(learned: false, error);
        }

        if (failed is not null)
        {
            failed.Refuse(error!);
        }
        else if (error is not null)
        {
            // The head it was for was cancelled meanwhile: nobody else would hear of it.
            _logger?.LogWarning(error, "The rate budget failed to answer a take.");
        }
    }

    /// <summary>True when <paramref name="pending"/> completed at once; otherwise it is watched until it does.</summary>
    private bool Observe(ValueTask pending, bool learns)
    {
        if (pending.IsCompletedSuccessfully)
        {
            pending.GetAwaiter().GetResult();
            return true;
        }

        _ = ObserveLaterAsync(pending.AsTask(), learns);
        return false;
    }

    private async Task ObserveLaterAsync(Task pending, bool learns)
    {
        try
        {
            await pending.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            // No attempt waits on a settlement: the run goes on with what the budget knew.
            _logger?.LogWarning(e, "The rate budget failed to settle an answer.");
        }

        lock (_lock)
        {
            if (!_disposed)
            {
                // A refund may admit the head.
                _onLateAnswer(learns, takeError: null);
            }
        }
    }

    private static TimeSpan RetryDelay(in BudgetDecision decision) =>
        decision.Granted ? TimeSpan.Zero
        : decision.RetryAfter > TimeSpan.Zero ? decision.RetryAfter
        : s_shortestRetry;
}
