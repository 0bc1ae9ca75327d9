namespace LlmBatch.Simulator;

/// <summary>
/// A continuously refilling bucket, not thread-safe (its owner locks). A cost larger than the capacity is admitted
/// only from a full bucket and leaves it in debt, so such a request waits its turn instead of being refused forever.
/// </summary>
internal sealed class TokenBucket
{
    private readonly double _capacity;
    private readonly double _perSecond;
    private readonly double _refillPerSecond;
    private double _level;
    private double _lastSeconds;

    /// <summary>Creates a full bucket.</summary>
    /// <param name="perMinute">The limit per minute: the refill rate is a sixtieth of it per second.</param>
    /// <param name="burstSeconds">How many seconds of the rate the bucket holds.</param>
    /// <param name="nowSeconds">The current time.</param>
    /// <param name="othersShare">The share of the rate a neighbour on the same key spends continuously: only the rest refills for this simulator's clients.</param>
    public TokenBucket(double perMinute, double burstSeconds, double nowSeconds, double othersShare = 0)
    {
        _perSecond = perMinute / 60.0;
        _refillPerSecond = _perSecond * (1 - othersShare);
        _capacity = Math.Max(_perSecond * burstSeconds, 1.0);
        _level = _capacity;
        _lastSeconds = nowSeconds;
    }

    public double Capacity => _capacity;

    public double Level => _level;

    public void Refill(double nowSeconds)
    {
        if (nowSeconds > _lastSeconds)
        {
            _level = Math.Min(_capacity, _level + ((nowSeconds - _lastSeconds) * _refillPerSecond));
            _lastSeconds = nowSeconds;
        }
    }

    /// <summary>Seconds until <paramref name="cost"/> could be admitted (0 when it can be now).</summary>
    public double WaitFor(double cost)
    {
        var need = Math.Min(cost, _capacity);
        return _level >= need ? 0 : (need - _level) / _refillPerSecond;
    }

    public void Take(double cost) => _level -= cost;

    public long Remaining => (long)Math.Max(0, Math.Floor(_level + 1e-9));

    public TimeSpan UntilFull => TimeSpan.FromSeconds(Math.Max(0, (_capacity - _level) / _refillPerSecond));

    public long PerMinuteUsed(long perMinuteLimit) =>
        Math.Clamp((long)Math.Round((_capacity - Math.Max(_level, 0)) / _capacity * perMinuteLimit), 0, perMinuteLimit);
}
