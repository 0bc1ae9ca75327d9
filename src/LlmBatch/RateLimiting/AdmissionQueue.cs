using LlmBatch.Providers;

namespace LlmBatch.RateLimiting;

/// <summary>
/// Attempts waiting for admission, first in, first out. Only the head is ever tested against the
/// <see cref="IAdmissionPolicy"/>, so a large request cannot be starved by a stream of small ones. One timer, set for
/// the moment the head can go, drives the queue; every admission happens under the owner's lock, so a cancelled
/// waiter never holds a reservation.
/// </summary>
internal sealed class AdmissionQueue : IDisposable
{
    /// <summary>Timers take at most ~49 days; a wait is armed in pieces of at most this and re-armed when it fires early.</summary>
    private static readonly TimeSpan s_longestTimer = TimeSpan.FromHours(1);

    private readonly Lock _lock;
    private readonly TimeProvider _time;
    private readonly IAdmissionPolicy _policy;
    private readonly ITimer _timer;
    private readonly Queue<Waiter> _queue = new();
    private int _waiting;
    private bool _disposed;

    /// <summary>Creates the queue.</summary>
    /// <param name="gate">The owner's lock, held around every call to the policy.</param>
    /// <param name="timeProvider">The clock for the timer and the waits.</param>
    /// <param name="policy">Decides whether the head may go.</param>
    public AdmissionQueue(Lock gate, TimeProvider timeProvider, IAdmissionPolicy policy)
    {
        _lock = gate;
        _time = timeProvider;
        _policy = policy;
        _timer = timeProvider.CreateTimer(static s => ((AdmissionQueue)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Attempts waiting now. Read under the owner's lock.</summary>
    public int Waiting => _waiting;

    /// <summary>True when nobody waits. Read under the owner's lock.</summary>
    public bool IsEmpty => _queue.Count == 0;

    /// <summary>
    /// Admits at once when the queue is empty and the policy allows; otherwise queues the attempt. Call under the
    /// owner's lock; the returned task completes outside it.
    /// </summary>
    /// <param name="call">The call whose attempt waits; its <see cref="BatchCall.ReservedTokens"/> and <see cref="BatchCall.LimiterWait"/> are set on admission.</param>
    /// <param name="tokens">The attempt's token cost.</param>
    /// <param name="now">The current timestamp.</param>
    /// <param name="admitted">The lease when admitted at once.</param>
    /// <returns>Null when admitted at once, else the waiter to await (see <see cref="Await"/>).</returns>
    public Waiter? Enter(BatchCall call, long tokens, long now, out RateLease admitted)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var first = _queue.Count == 0;
        var delay = TimeSpan.Zero;
        if (first && _policy.TryAdmit(tokens, now, out admitted, out delay))
        {
            call.ReservedTokens = tokens;
            return null;
        }

        admitted = default;
        var waiter = new Waiter(this, call, tokens, now);
        _queue.Enqueue(waiter);
        _waiting++;
        if (first)
        {
            // Behind an existing head the timer is already set for that head.
            Arm(delay);
        }

        return waiter;
    }

    /// <summary>Waits for a queued attempt's admission. Call outside the owner's lock.</summary>
    public ValueTask<RateLease> Await(Waiter waiter, CancellationToken cancellationToken)
    {
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

    /// <summary>Admits waiters from the head while the policy allows, then sets the timer for the head. Call under the owner's lock.</summary>
    public void Pump(long now)
    {
        if (_disposed)
        {
            return;
        }

        while (_queue.TryPeek(out var head))
        {
            if (head.Finished)
            {
                _queue.Dequeue();
                continue;
            }

            if (!_policy.TryAdmit(head.Tokens, now, out var lease, out var delay))
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

    /// <summary>Takes every waiter out of the queue. Call under the owner's lock, then <see cref="Waiter.Refuse"/> each outside it.</summary>
    public List<Waiter> TakeAll()
    {
        List<Waiter> taken = [];
        while (_queue.TryDequeue(out var waiter))
        {
            if (!waiter.Finished)
            {
                waiter.Finished = true;
                _waiting--;
                taken.Add(waiter);
            }
        }

        return taken;
    }

    /// <summary>
    /// Takes one run's waiters out of the queue, keeping the order of the others. Call under the owner's lock, then
    /// <see cref="Waiter.Refuse"/> each outside it.
    /// </summary>
    public List<Waiter> TakeAll(BatchRunState run)
    {
        List<Waiter> taken = [];
        for (var i = _queue.Count; i > 0; i--)
        {
            var waiter = _queue.Dequeue();
            if (waiter.Finished)
            {
                continue;
            }

            if (ReferenceEquals(waiter.Call.Run, run))
            {
                waiter.Finished = true;
                _waiting--;
                taken.Add(waiter);
            }
            else
            {
                _queue.Enqueue(waiter);
            }
        }

        return taken;
    }

    /// <summary>Takes the head out of the queue, to fail it outside the owner's lock (<see cref="Waiter.Refuse"/>); null when nobody waits.</summary>
    public Waiter? TakeHead()
    {
        while (_queue.TryDequeue(out var waiter))
        {
            if (!waiter.Finished)
            {
                waiter.Finished = true;
                _waiting--;
                return waiter;
            }
        }

        return null;
    }

    /// <summary>Stops the timer. Call under the owner's lock, then fail <see cref="TakeAll()"/>'s waiters outside it.</summary>
    public void Dispose()
    {
        _disposed = true;
        _timer.Dispose();
    }

    private void OnTimer()
    {
        lock (_lock)
        {
            Pump(_time.GetTimestamp());
        }
    }

    private void Arm(TimeSpan delay)
    {
        if (delay != Timeout.InfiniteTimeSpan && !_disposed)
        {
            _timer.Change(delay < s_longestTimer ? delay : s_longestTimer, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>One queued attempt; it is its own completion source to save an allocation.</summary>
    internal sealed class Waiter(AdmissionQueue owner, BatchCall call, long tokens, long enqueuedAt)
        : TaskCompletionSource<RateLease>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public BatchCall Call { get; } = call;

        public long Tokens { get; } = tokens;

        public long EnqueuedAt { get; } = enqueuedAt;

        /// <summary>Admitted, refused or cancelled; guarded by the owner's lock.</summary>
        public bool Finished { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        /// <summary>Fails a waiter taken by <see cref="TakeAll()"/>; call outside the lock.</summary>
        public void Refuse(Exception error)
        {
            Registration.Unregister();
            TrySetException(error);
        }

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
