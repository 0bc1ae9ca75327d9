namespace LlmBatch.Resilience;

/// <summary>
/// The most recent successful latencies of one <see cref="LatencyClass"/>, with a cached 95th percentile that is
/// recomputed every few samples rather than on every read (the watchdog reads it often).
/// </summary>
internal sealed class LatencyWindow
{
    private const int Capacity = 256;
    private const int RecomputeEvery = 16;
    private readonly double[] _samples = new double[Capacity];
    private readonly double[] _scratch = new double[Capacity];
    private readonly Lock _lock = new();
    private int _count;
    private int _next;
    private int _sinceRecompute;
    private double _p95Ms = double.NaN;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public void Add(double milliseconds)
    {
        lock (_lock)
        {
            _samples[_next] = milliseconds;
            _next = (_next + 1) % Capacity;
            if (_count < Capacity)
            {
                _count++;
            }

            if (++_sinceRecompute >= RecomputeEvery || double.IsNaN(_p95Ms))
            {
                Recompute();
            }
        }
    }

    /// <summary>The 95th percentile in milliseconds, or NaN with no samples.</summary>
    public double P95Milliseconds
    {
        get
        {
            lock (_lock)
            {
                return _p95Ms;
            }
        }
    }

    private void Recompute()
    {
        _sinceRecompute = 0;
        Array.Copy(_samples, _scratch, _count);
        Array.Sort(_scratch, 0, _count);
        var rank = (int)Math.Ceiling(0.95 * _count) - 1;
        _p95Ms = _scratch[Math.Clamp(rank, 0, _count - 1)];
    }
}
