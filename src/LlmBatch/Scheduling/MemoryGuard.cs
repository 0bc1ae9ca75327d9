namespace LlmBatch;

/// <summary>
/// Back-pressure on intake when the process nears a memory limit: <see cref="WaitForRoomAsync"/> returns at once
/// below about 90 % of the limit; above it, it forces a garbage collection and waits (polling through the
/// <see cref="TimeProvider"/>) until memory falls below about 80 %. Nothing is dropped: items already taken
/// finish and free their memory, and intake resumes.
/// </summary>
/// <remarks>
/// A limit below what the process needs at rest can never be met by pausing. When a pause has lasted
/// <see cref="StallTimeout"/> without memory falling, the guard takes the level it is stuck at as a floor
/// and from then on only pauses for growth above that floor, so such a run still completes.
/// </remarks>
internal sealed class MemoryGuard
{
    internal const double HighWaterShare = 0.90;
    internal const double LowWaterShare = 0.80;
    internal static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(100);
    internal static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(2);

    private readonly TimeProvider _time;
    private readonly Func<long> _sample;
    private readonly Lock _lock = new();
    private long _lastSample;
    private long _lastSampleTimestamp;
    private bool _sampled;
    private long _peak;
    private long _floor;
    private TimeSpan _pausedTotal;
    private long _pausedSinceTimestamp;
    private int _pausedWaiters;

    /// <summary>Creates the guard.</summary>
    /// <param name="maxBytes">The memory limit in bytes; must be positive.</param>
    /// <param name="timeProvider">The clock used for sampling and waiting.</param>
    /// <param name="sampleBytes">Reads the process's memory in bytes; default the working set.</param>
    public MemoryGuard(long maxBytes, TimeProvider timeProvider, Func<long>? sampleBytes = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        ArgumentNullException.ThrowIfNull(timeProvider);
        MaxBytes = maxBytes;
        _time = timeProvider;
        _sample = sampleBytes ?? (static () => Environment.WorkingSet);
    }

    /// <summary>The limit in bytes.</summary>
    public long MaxBytes { get; }

    /// <summary>The highest memory sampled so far, in bytes.</summary>
    public long PeakBytes
    {
        get
        {
            lock (_lock)
            {
                return _peak;
            }
        }
    }

    /// <summary>The memory at the last sample, in bytes (0 before the first).</summary>
    public long LastSampleBytes
    {
        get
        {
            lock (_lock)
            {
                return _lastSample;
            }
        }
    }

    /// <summary>True while intake is paused.</summary>
    public bool IsPaused
    {
        get
        {
            lock (_lock)
            {
                return _pausedWaiters > 0;
            }
        }
    }

    /// <summary>
    /// True once the guard found the process could not get under the limit by pausing and began guarding growth
    /// above the level it was stuck at instead.
    /// </summary>
    public bool LimitBelowFloor
    {
        get
        {
            lock (_lock)
            {
                return _floor > 0;
            }
        }
    }

    /// <summary>Total time intake has been paused (overlapping waits counted once), including a pause under way.</summary>
    public TimeSpan PausedTime
    {
        get
        {
            lock (_lock)
            {
                return _pausedWaiters > 0 ? _pausedTotal + _time.GetElapsedTime(_pausedSinceTimestamp) : _pausedTotal;
            }
        }
    }

    private long HighWater => Math.Max((long)(MaxBytes * HighWaterShare), _floor + (long)(MaxBytes * (1 - HighWaterShare)));

    private long LowWater => Math.Max((long)(MaxBytes * LowWaterShare), _floor);

    /// <summary>Returns when there is room to take another item.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when memory is below the limit's high-water mark, or has fallen back below its low-water mark.</returns>
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        long current;
        lock (_lock)
        {
            current = SampleIfDue(force: false);
            if (current < HighWater && _pausedWaiters == 0)
            {
                return ValueTask.CompletedTask;
            }
        }

        return new ValueTask(PauseAsync(cancellationToken));
    }

    private async Task PauseAsync(CancellationToken cancellationToken)
    {
        var startTimestamp = _time.GetTimestamp();
        long startLevel;
        lock (_lock)
        {
            if (_pausedWaiters++ == 0)
            {
                _pausedSinceTimestamp = startTimestamp;
            }
        }

        try
        {
            // Garbage that is merely uncollected should not hold up intake; Aggressive also decommits what it frees,
            // so the process's working set (what the limit is about) falls, not only the heap.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            lock (_lock)
            {
                startLevel = SampleIfDue(force: true);
                if (startLevel < LowWater)
                {
                    return;
                }
            }

            var lowest = startLevel;
            while (true)
            {
                await Task.Delay(SampleInterval, _time, cancellationToken).ConfigureAwait(false);
                lock (_lock)
                {
                    var now = SampleIfDue(force: false);
                    if (now < LowWater)
                    {
                        return;
                    }

                    // Still falling means items in flight are finishing and freeing memory: keep waiting.
                    if (now < lowest * 0.95)
                    {
                        lowest = now;
                        startTimestamp = _time.GetTimestamp();
                    }
                    else if (_time.GetElapsedTime(startTimestamp) >= StallTimeout)
                    {
                        _floor = Math.Max(_floor, now);
                        return;
                    }
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                if (--_pausedWaiters == 0)
                {
                    _pausedTotal += _time.GetElapsedTime(_pausedSinceTimestamp);
                }
            }
        }
    }

    // Called under _lock.
    private long SampleIfDue(bool force)
    {
        var now = _time.GetTimestamp();
        if (force || !_sampled || _time.GetElapsedTime(_lastSampleTimestamp, now) >= SampleInterval)
        {
            _lastSample = _sample();
            _lastSampleTimestamp = now;
            _sampled = true;
            if (_lastSample > _peak)
            {
                _peak = _lastSample;
            }
        }

        return _lastSample;
    }
}
