namespace LlmBatch.RateLimiting;

/// <summary>
/// A token bucket that refills continuously at a rate per second up to a capacity. Unlike
/// <c>System.Threading.RateLimiting.TokenBucketRateLimiter</c> it lets a reservation be settled afterwards
/// (<see cref="Refund"/>, <see cref="Charge"/>), lets header evidence lower the level (<see cref="Correct"/>),
/// admits a request larger than the whole bucket once the bucket is full (the level then goes into debt), and has
/// a rate and capacity that can change while it runs. Not thread-safe: its owner serialises access.
/// </summary>
internal sealed class TokenBudget
{
    // Timer and floating-point rounding must not turn "exactly enough" into "not enough, wait 0 ticks".
    private const double Epsilon = 1e-6;

    private readonly TimeProvider _time;
    private double _level;
    private long _updatedAt;

    /// <summary>Creates a bucket, full unless <paramref name="initialLevel"/> says otherwise.</summary>
    public TokenBudget(TimeProvider timeProvider, double ratePerSecond, double capacity, double? initialLevel = null)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        CheckPositive(ratePerSecond);
        CheckPositive(capacity);
        _time = timeProvider;
        RatePerSecond = ratePerSecond;
        Capacity = capacity;
        _level = Math.Min(capacity, initialLevel ?? capacity);
        _updatedAt = timeProvider.GetTimestamp();
    }

    /// <summary>Refill per second.</summary>
    public double RatePerSecond { get; private set; }

    /// <summary>The most the bucket holds.</summary>
    public double Capacity { get; private set; }

    /// <summary>The level now, after refill; negative while in debt.</summary>
    public double Level
    {
        get
        {
            Refill();
            return _level;
        }
    }

    /// <summary>Whether <paramref name="amount"/> could be taken now.</summary>
    public bool CanTake(double amount)
    {
        Refill();
        return Admits(amount);
    }

    /// <summary>Takes <paramref name="amount"/> when the level covers it, or when it exceeds the capacity and the bucket is full.</summary>
    public bool TryTake(double amount)
    {
        Refill();
        if (!Admits(amount))
        {
            return false;
        }

        _level -= amount;
        return true;
    }

    /// <summary>How long until <paramref name="amount"/> could be taken (zero if it can be now), assuming nothing else changes.</summary>
    public TimeSpan TimeUntil(double amount)
    {
        Refill();
        if (Admits(amount))
        {
            return TimeSpan.Zero;
        }

        var target = Math.Min(amount, Capacity);
        var seconds = (target - _level) / RatePerSecond;

        // Round up so that a timer set for this wait finds the level sufficient when it fires.
        var ticks = Math.Ceiling(seconds * TimeSpan.TicksPerSecond);
        return ticks >= TimeSpan.MaxValue.Ticks ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Gives back part of a reservation that was not used; the level never exceeds the capacity.</summary>
    public void Refund(double amount)
    {
        Refill();
        _level = Math.Min(Capacity, _level + Math.Max(0, amount));
    }

    /// <summary>Charges more than was reserved (an overrun); the level may go into debt.</summary>
    public void Charge(double amount)
    {
        Refill();
        _level -= Math.Max(0, amount);
    }

    /// <summary>
    /// Lowers the level to <paramref name="estimate"/> when the evidence says the server has less than the client
    /// believes; never raises it, so that the client never believes it has more than the server.
    /// </summary>
    public void Correct(double estimate)
    {
        Refill();
        if (estimate < _level)
        {
            _level = estimate;
        }
    }

    /// <summary>Changes the refill rate from now on (the time before now refills at the old rate).</summary>
    public void SetRate(double ratePerSecond)
    {
        CheckPositive(ratePerSecond);
        Refill();
        RatePerSecond = ratePerSecond;
    }

    /// <summary>Changes the capacity; a level above the new capacity drops to it.</summary>
    public void SetCapacity(double capacity)
    {
        CheckPositive(capacity);
        Refill();
        Capacity = capacity;
        _level = Math.Min(_level, capacity);
    }

    private bool Admits(double amount) =>
        _level + Epsilon >= amount || (amount > Capacity && _level + Epsilon >= Capacity);

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = now - _updatedAt;
        _updatedAt = now;
        if (elapsed > 0 && _level < Capacity)
        {
            _level = Math.Min(Capacity, _level + (RatePerSecond * elapsed / _time.TimestampFrequency));
        }
        else if (_level > Capacity)
        {
            _level = Capacity;
        }
    }

    private static void CheckPositive(double value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!(value > 0) || double.IsNaN(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
        }
    }
}
