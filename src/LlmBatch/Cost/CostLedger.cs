using System.Collections.Concurrent;
using LlmBatch.RateLimiting;

namespace LlmBatch.Cost;

/// <summary>
/// The run's books: spend settled from reported usage, spend reserved by attempts not yet answered, and the cap. An
/// attempt that does not fit under the cap waits (first come, first served) for reservations to settle; once nothing is
/// reserved and it still does not fit, the ledger closes and asks the engine to stop dispatch. One lock guards the
/// figures; it is held for arithmetic only.
/// </summary>
internal sealed class CostLedger
{
    private readonly Lock _lock = new();
    private readonly Queue<Waiter> _waiters = new();
    private readonly ConcurrentDictionary<string, ModelPrice?> _priceByModel = new(StringComparer.Ordinal);
    private readonly CostControlOptions _options;
    private decimal _settled;
    private decimal _reserved;
    private decimal _largest;
    private long _unpriced;
    private bool _closed;
    private bool _capReached;
    private string? _unpricedModel;

    public CostLedger(CostControlOptions options)
    {
        _options = options;
    }

    /// <summary>Called once when the cap closes the ledger: stops the engine's dispatch.</summary>
    public Action? StopDispatch { get; set; }

    public decimal? MaxCost => _options.MaxCost;

    public ModelPrice? PriceOf(string model) =>
        _priceByModel.GetOrAdd(model, static (m, prices) => prices.TryGetPrice(m, out var p) ? p : null, _options.Prices);

    /// <summary>Starts a new run's books.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _settled = _reserved = _largest = 0;
            _unpriced = 0;
            _closed = _capReached = false;
            _unpricedModel = null;
            _waiters.Clear();
        }
    }

    /// <summary>Reserves <paramref name="amount"/> under the cap, waiting for reservations to settle if needed.</summary>
    /// <exception cref="DispatchStoppedException">The cap is reached (or the run is stopping): the attempt is not sent.</exception>
    public ValueTask ReserveAsync(decimal amount, CancellationToken cancellationToken)
    {
        Waiter waiter;
        var stop = false;
        lock (_lock)
        {
            if (_closed)
            {
                throw new DispatchStoppedException();
            }

            _largest = Math.Max(_largest, amount);
            while (_waiters.TryPeek(out var stale) && stale.Source.Task.IsCompleted)
            {
                // Gave up waiting (cancelled): it holds no place in the queue.
                _waiters.Dequeue();
            }

            if (_waiters.Count == 0 && Fits(amount))
            {
                _reserved += amount;
                return ValueTask.CompletedTask;
            }

            if (_reserved == 0)
            {
                // Nothing in flight can free budget: this attempt will never fit.
                stop = CloseLocked(capReached: true);
            }
            else
            {
                waiter = new Waiter(amount);
                _waiters.Enqueue(waiter);
                return new ValueTask(Wait(waiter, cancellationToken));
            }
        }

        if (stop)
        {
            StopDispatch?.Invoke();
        }

        throw new DispatchStoppedException();
    }

    /// <summary>Settles an attempt: its reservation goes, its actual cost (what the provider bills) counts.</summary>
    public void Settle(decimal reserved, decimal actual)
    {
        var stop = false;
        lock (_lock)
        {
            _reserved -= reserved;
            _settled += actual;
            stop = GrantLocked();
        }

        if (stop)
        {
            StopDispatch?.Invoke();
        }
    }

    /// <summary>An answer the ledger could not price (no price for its model, or no usage reported).</summary>
    public void Unpriced()
    {
        lock (_lock)
        {
            _unpriced++;
        }
    }

    /// <summary>A model without a price under a cap: the budget cannot be kept, so the run stops.</summary>
    public void StopForUnpriced(string model)
    {
        bool first;
        lock (_lock)
        {
            _unpricedModel ??= model;
            first = CloseLocked(capReached: false);
        }

        if (first)
        {
            StopDispatch?.Invoke();
        }
    }

    /// <summary>The run is stopping for another reason: attempts waiting for budget are not sent.</summary>
    public void Close()
    {
        lock (_lock)
        {
            CloseLocked(capReached: false);
        }
    }

    public BatchCostProgress Snapshot()
    {
        lock (_lock)
        {
            return new BatchCostProgress
            {
                Spent = _settled,
                Reserved = _reserved,
                MaxCost = _options.MaxCost,
                CapReached = _capReached,
                UnpricedModel = _unpricedModel,
                UnpricedAnswers = _unpriced,
                LargestReservation = _largest,
            };
        }
    }

    private bool Fits(decimal amount) => _options.MaxCost is not { } cap || _settled + _reserved + amount <= cap;

    // Grants waiting reservations in arrival order while they fit; closes when the first one can never fit.
    private bool GrantLocked()
    {
        while (_waiters.TryPeek(out var next))
        {
            if (next.Source.Task.IsCompleted)
            {
                _waiters.Dequeue();
                continue;
            }

            if (Fits(next.Amount))
            {
                _waiters.Dequeue();
                _reserved += next.Amount;
                if (!next.Source.TrySetResult())
                {
                    _reserved -= next.Amount;
                }

                continue;
            }

            return _reserved == 0 && CloseLocked(capReached: true);
        }

        return false;
    }

    // Returns true the first time, so that the caller stops dispatch once (outside the lock).
    private bool CloseLocked(bool capReached)
    {
        if (_closed)
        {
            return false;
        }

        _closed = true;
        _capReached = capReached;
        while (_waiters.TryDequeue(out var waiter))
        {
            waiter.Source.TrySetException(new DispatchStoppedException());
        }

        return capReached || _unpricedModel is not null;
    }

    private static async Task Wait(Waiter waiter, CancellationToken cancellationToken)
    {
        using (cancellationToken.UnsafeRegister(static state => ((Waiter)state!).Source.TrySetCanceled(), waiter))
        {
            await waiter.Source.Task.ConfigureAwait(false);
        }
    }

    private sealed class Waiter(decimal amount)
    {
        public decimal Amount { get; } = amount;

        public TaskCompletionSource Source { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
