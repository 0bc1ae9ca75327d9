namespace LlmBatch.Simulator;

/// <summary>
/// One limit of one API key (requests or tokens), as OpenAI's rate-limit guide describes it: the headers report a
/// per-minute budget (a bucket holding a minute's worth: limit, remaining, reset until full), while the limit is
/// enforced over a much shorter window of <see cref="SimulatorOptions.BurstSeconds"/>: a bucket holding that much of
/// the rate, or fixed windows counted from the clock (<see cref="SimulatorOptions.WindowKind"/>). With
/// <see cref="SimulatorHeaderScale.Window"/> the headers describe the enforced bucket itself. A neighbour on the same
/// key (<see cref="SimulatorOptions.NeighbourShare"/>) spends its share of both continuously. Not thread-safe: the
/// limiter locks the key.
/// </summary>
internal sealed class LimitDimension
{
    private readonly long _limit;
    private readonly double _window;
    private readonly double _othersShare;
    private readonly bool _fixedWindows;
    private readonly bool _windowHeaders;
    private readonly TokenBucket _minute;
    private readonly TokenBucket _enforced;
    private long _windowIndex = long.MinValue;
    private double _windowUsed;

    public LimitDimension(long perMinute, SimulatorOptions options, double nowSeconds)
    {
        _limit = perMinute;
        _window = options.BurstSeconds;
        _othersShare = options.NeighbourShare;
        _fixedWindows = options.WindowKind == SimulatorWindowKind.Fixed;
        _windowHeaders = options.HeaderScale == SimulatorHeaderScale.Window;
        _minute = new TokenBucket(perMinute, 60, nowSeconds, _othersShare);
        _enforced = new TokenBucket(perMinute, _window, nowSeconds, _othersShare);
    }

    /// <summary>Seconds until <paramref name="cost"/> could be admitted at <paramref name="now"/> (0 when it can be now).</summary>
    public double WaitFor(double now, double cost)
    {
        _minute.Refill(now);
        _enforced.Refill(now);
        var minuteWait = _minute.WaitFor(cost);
        if (!_fixedWindows)
        {
            return Math.Max(minuteWait, _enforced.WaitFor(cost));
        }

        var index = (long)Math.Floor(now / _window);
        if (index != _windowIndex)
        {
            _windowIndex = index;
            _windowUsed = 0;
        }

        // The neighbour's share of this window so far, spread evenly over it; a cost above a whole window goes into an empty one.
        var capacity = _enforced.Capacity;
        var neighbour = _othersShare * capacity * ((now - (index * _window)) / _window);
        var fits = _windowUsed + neighbour + cost <= capacity + 1e-9 || (_windowUsed == 0 && cost > capacity);
        return Math.Max(minuteWait, fits ? 0 : ((index + 1) * _window) - now);
    }

    /// <summary>Charges an admitted cost.</summary>
    public void Take(double cost)
    {
        _minute.Take(cost);
        _enforced.Take(cost);
        _windowUsed += cost;
    }

    /// <summary>What the remaining header says.</summary>
    public long Remaining => _windowHeaders ? _enforced.Remaining : _minute.Remaining;

    /// <summary>What the reset header says: until the reported bucket is full again.</summary>
    public TimeSpan UntilFull => _windowHeaders ? _enforced.UntilFull : _minute.UntilFull;

    /// <summary>The per-minute budget already spent, for the 429 message.</summary>
    public long PerMinuteUsed => _minute.PerMinuteUsed(_limit);
}
