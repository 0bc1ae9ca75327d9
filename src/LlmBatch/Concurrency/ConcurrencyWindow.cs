namespace LlmBatch.Concurrency;

/// <summary>
/// A group of attempts that started one after another, about half a round trip's worth, followed until their
/// answers are back: then it says at what concurrency they ran, how long they took and how many succeeded, which
/// gives the server's goodput at that concurrency by Little's law. Reused in a ring by <see cref="AdaptiveConcurrencyLimit"/>.
/// Not thread-safe: the owner serialises access.
/// </summary>
internal sealed class ConcurrencyWindow
{
    /// <summary>A group takes at least this many starts: fewer make the latency mean too noisy to judge a step of a fifth.</summary>
    internal const int MinStarts = 16;

    /// <summary>
    /// A group's share of successes is blended with the run's as if the run's share had this many more attempts in the
    /// group: with 3 % random faults, 2 failures in 16 attempts happen often enough to fake a goodput drop of 10 %.
    /// </summary>
    private const double SharePrior = 16;

    /// <summary>A group is judged when this share of its attempts has ended: a hung straggler must not hold it.</summary>
    private const double JudgedAtShare = 0.9;

    private long _last = long.MaxValue;
    private double _concurrencySum;
    private double _limitSum;
    private int _ended;
    private int _successes;
    private double _latencySum;
    private double _minLatency = double.PositiveInfinity;
    private int _overloads;
    private bool _judged;

    /// <summary>The sequence number of the group's first attempt.</summary>
    public long First { get; private set; } = long.MaxValue;

    /// <summary>Attempts started in the group.</summary>
    public int Starts { get; private set; }

    /// <summary>True when the group is closed to new starts, most of its answers are back, and it has not been judged.</summary>
    public bool ReadyToJudge => _last != long.MaxValue && !_judged && _ended >= JudgedAtShare * Starts;

    /// <summary>Starts a new group at <paramref name="first"/>, forgetting whatever the slot held.</summary>
    public void Open(long first)
    {
        First = first;
        _last = long.MaxValue;
        Starts = 0;
        _concurrencySum = 0;
        _limitSum = 0;
        _ended = 0;
        _successes = 0;
        _latencySum = 0;
        _minLatency = double.PositiveInfinity;
        _overloads = 0;
        _judged = false;
    }

    /// <summary>An attempt of the group started under <paramref name="limit"/>.</summary>
    public void Start(int limit)
    {
        Starts++;
        _limitSum += limit;
    }

    /// <summary>No more starts: <paramref name="last"/> is the group's last sequence number.</summary>
    public void Close(long last) => _last = last;

    /// <summary>True when the attempt numbered <paramref name="sequence"/> belongs to this group and the group is still followed.</summary>
    public bool Contains(long sequence) => !_judged && sequence >= First && sequence <= _last;

    /// <summary>An attempt of the group ended: a success with its latency, a refusal, or another outcome.</summary>
    /// <param name="concurrency">The mean concurrency it ran at, itself included.</param>
    /// <param name="successLatency">Its latency when it succeeded.</param>
    /// <param name="overload">True when the server refused it.</param>
    public void End(double concurrency, TimeSpan? successLatency, bool overload)
    {
        _ended++;
        _concurrencySum += concurrency;
        if (successLatency is { } latency)
        {
            _successes++;
            _latencySum += latency.TotalSeconds;
            _minLatency = Math.Min(_minLatency, latency.TotalSeconds);
        }

        if (overload)
        {
            _overloads++;
        }
    }

    /// <summary>Marks the group judged; later answers of its stragglers are ignored.</summary>
    public void MarkJudged() => _judged = true;

    /// <summary>What the group showed, when enough of it succeeded to say.</summary>
    /// <param name="now">When it is judged.</param>
    /// <param name="runSuccessShare">The share of attempts that succeeded over the run so far.</param>
    /// <param name="result">What it showed.</param>
    public bool TryResult(long now, double runSuccessShare, out Result result)
    {
        result = default;
        if (_successes < MinStarts / 2 || _latencySum <= 0)
        {
            return false;
        }

        var concurrency = _concurrencySum / _ended;
        var latency = _latencySum / _successes;
        var share = (_successes + (SharePrior * runSuccessShare)) / (_ended + SharePrior);
        result = new Result(now, concurrency, concurrency / latency * share, latency, concurrency >= 0.8 * (_limitSum / Starts), _overloads, _successes, _ended, _minLatency);
        return true;
    }

    /// <summary>What a judged group showed.</summary>
    /// <param name="At">When it was judged.</param>
    /// <param name="Concurrency">The mean concurrency its attempts ran at (each one's attempts on the wire averaged over its life).</param>
    /// <param name="Goodput">Successes per second at that concurrency: concurrency / mean latency × the share that succeeded.</param>
    /// <param name="MeanLatencySeconds">The mean latency of its successes.</param>
    /// <param name="Binding">True when its attempts ran at 80 % of the limit they started under or more: the limit held requests back.</param>
    /// <param name="Overloads">Its attempts the server refused.</param>
    /// <param name="Successes">Its attempts that succeeded.</param>
    /// <param name="Ended">Its attempts that ended before it was judged.</param>
    /// <param name="MinLatencySeconds">Its fastest success.</param>
    internal readonly record struct Result(long At, double Concurrency, double Goodput, double MeanLatencySeconds, bool Binding, int Overloads, int Successes, int Ended, double MinLatencySeconds);
}
