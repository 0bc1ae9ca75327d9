using System.Collections.Concurrent;

namespace LlmBatch.Resilience;

/// <summary>
/// Decides how long an attempt may take and abandons the ones that overrun. By default the limit is a multiple of the
/// 95th-percentile latency of similar requests, clamped between a floor and a ceiling, so a hung request is given up
/// within seconds when answers take hundreds of milliseconds while long generations still get minutes.
/// A watchdog re-checks attempts already in flight against the current limit: a request that hangs in the first
/// second of a run, before any latency is known, is still abandoned as soon as the run has learned what is normal.
/// </summary>
internal sealed class AdaptiveTimeout : IDisposable
{
    /// <summary>Samples a class needs before its own latency sets the limit.</summary>
    internal const int MinSamples = 20;

    private static readonly TimeSpan s_tick = TimeSpan.FromMilliseconds(100);

    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan? _fixed;
    private readonly TimeSpan _floor;
    private readonly TimeSpan _ceiling;
    private readonly double _multiplier;
    private readonly ConcurrentDictionary<LatencyClass, LatencyWindow> _windows = new();
    // Attempts in flight, an intrusive list under one lock with the watchdog: starting or ending an attempt takes the
    // lock once and allocates nothing beyond its own entry.
    private readonly Lock _timerLock = new();
    private TrackedAttempt? _inFlight;
    private ITimer? _watchdog;
    private bool _disposed;

    public AdaptiveTimeout(BatchOptions options, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _fixed = options.AttemptTimeout;
        _floor = options.AttemptTimeoutFloor;
        _ceiling = options.AttemptTimeoutCeiling;
        _multiplier = options.AttemptTimeoutMultiplier;
    }

    /// <summary>The limit now in force for an attempt of this class.</summary>
    public TimeSpan LimitFor(LatencyClass latencyClass)
    {
        if (_fixed is { } fixedTimeout)
        {
            return fixedTimeout;
        }

        if (_windows.TryGetValue(latencyClass, out var window) && window.Count >= MinSamples)
        {
            var limit = TimeSpan.FromMilliseconds(window.P95Milliseconds * _multiplier);
            return limit < _floor ? _floor : limit > _ceiling ? _ceiling : limit;
        }

        return _ceiling;
    }

    /// <summary>Records the latency of a successful attempt.</summary>
    public void Observe(LatencyClass latencyClass, TimeSpan latency) =>
        _windows.GetOrAdd(latencyClass, static _ => new LatencyWindow()).Add(latency.TotalMilliseconds);

    /// <summary>Starts watching an attempt; its source is cancelled when the attempt overruns its limit.</summary>
    public TrackedAttempt Track(LatencyClass latencyClass, CancellationTokenSource source)
    {
        var attempt = new TrackedAttempt(latencyClass, source, _timeProvider.GetTimestamp());
        lock (_timerLock)
        {
            attempt.Next = _inFlight;
            if (_inFlight is not null)
            {
                _inFlight.Previous = attempt;
            }

            _inFlight = attempt;
            if (_watchdog is null && !_disposed)
            {
                _watchdog = _timeProvider.CreateTimer(static s => ((AdaptiveTimeout)s!).CheckNow(), this, s_tick, s_tick);
            }
        }

        return attempt;
    }

    /// <summary>Stops watching an attempt.</summary>
    public void Untrack(TrackedAttempt attempt)
    {
        lock (_timerLock)
        {
            if (attempt.Previous is { } previous)
            {
                previous.Next = attempt.Next;
            }
            else if (ReferenceEquals(_inFlight, attempt))
            {
                _inFlight = attempt.Next;
            }
            else
            {
                // Already untracked.
                return;
            }

            if (attempt.Next is { } next)
            {
                next.Previous = attempt.Previous;
            }

            attempt.Next = null;
            attempt.Previous = null;
        }
    }

    public void Dispose()
    {
        lock (_timerLock)
        {
            _disposed = true;
            _watchdog?.Dispose();
            _watchdog = null;
        }
    }

    /// <summary>Checks every attempt in flight once; the watchdog calls it every 100 ms.</summary>
    internal void CheckNow()
    {
        List<TrackedAttempt>? overrun = null;
        lock (_timerLock)
        {
            if (_inFlight is null)
            {
                // Idle: stop ticking so an engine between runs holds no timer. Track starts it again.
                _watchdog?.Dispose();
                _watchdog = null;
                return;
            }

            for (var attempt = _inFlight; attempt is not null; attempt = attempt.Next)
            {
                var limit = LimitFor(attempt.Class);
                if (_timeProvider.GetElapsedTime(attempt.StartedAt) >= limit && attempt.TryExpire(limit))
                {
                    (overrun ??= []).Add(attempt);
                }
            }
        }

        // Cancelled outside the lock: a cancellation runs the attempt's callbacks, which may end it and untrack it.
        foreach (var attempt in overrun ?? [])
        {
            try
            {
                attempt.Source.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The attempt finished between the check and the cancel.
            }
        }
    }

    /// <summary>One attempt being watched.</summary>
    internal sealed class TrackedAttempt(LatencyClass latencyClass, CancellationTokenSource source, long startedAt)
    {
        private int _expired;

        public LatencyClass Class { get; } = latencyClass;

        public CancellationTokenSource Source { get; } = source;

        public long StartedAt { get; } = startedAt;

        public bool Expired => Volatile.Read(ref _expired) == 1;

        public TimeSpan Limit { get; private set; }

        // The links of the in-flight list, read and written only under the owner's lock.
        internal TrackedAttempt? Previous { get; set; }

        internal TrackedAttempt? Next { get; set; }

        public bool TryExpire(TimeSpan limit)
        {
            if (Interlocked.Exchange(ref _expired, 1) == 1)
            {
                return false;
            }

            Limit = limit;
            return true;
        }
    }
}
