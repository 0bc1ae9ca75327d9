namespace LlmBatch.Concurrency;

/// <summary>
/// The concurrency limit, the attempts on the wire and the goodput of a run, one point per second, for the report's
/// chart. Bounded: past <see cref="MaxPoints"/> neighbouring points are merged and each point then covers twice as
/// long, so a run of days keeps a few kilobytes. Not thread-safe: the owner serialises access.
/// </summary>
internal sealed class ConcurrencyTimeline
{
    /// <summary>The most points kept.</summary>
    internal const int MaxPoints = 2048;

    private readonly List<ConcurrencyPoint> _points = [];
    private long _origin = -1;
    private double _spanSeconds = 1;
    private long _bucket = -1;
    private int _limitMax;
    private int _inFlightMax;
    private long _successes;

    /// <summary>The points so far, oldest first, the one under way included.</summary>
    public IReadOnlyList<ConcurrencyPoint> Snapshot()
    {
        var copy = new List<ConcurrencyPoint>(_points.Count + 1);
        copy.AddRange(_points);
        if (_bucket >= 0)
        {
            copy.Add(Current());
        }

        return copy;
    }

    /// <summary>Records the state after an event.</summary>
    public void Observe(TimeProvider time, long now, int limit, int inFlight, int successes)
    {
        if (_origin < 0)
        {
            _origin = now;
        }

        var bucket = (long)(time.GetElapsedTime(_origin, now).TotalSeconds / _spanSeconds);
        if (bucket != _bucket)
        {
            if (_bucket >= 0)
            {
                _points.Add(Current());
                if (_points.Count >= MaxPoints)
                {
                    Halve();
                    bucket = (long)(time.GetElapsedTime(_origin, now).TotalSeconds / _spanSeconds);
                }
            }

            _bucket = bucket;
            _limitMax = 0;
            _inFlightMax = 0;
            _successes = 0;
        }

        _limitMax = Math.Max(_limitMax, limit);
        _inFlightMax = Math.Max(_inFlightMax, inFlight);
        _successes += successes;
    }

    private ConcurrencyPoint Current() =>
        new(_bucket * _spanSeconds, _spanSeconds, _limitMax, _inFlightMax, _successes / _spanSeconds);

    private void Halve()
    {
        _spanSeconds *= 2;
        var merged = new List<ConcurrencyPoint>(_points.Count / 2 + 1);
        for (var i = 0; i < _points.Count; i += 2)
        {
            var a = _points[i];
            if (i + 1 < _points.Count)
            {
                var b = _points[i + 1];
                merged.Add(new ConcurrencyPoint(a.AtSeconds, a.SpanSeconds + b.SpanSeconds, Math.Max(a.Limit, b.Limit), Math.Max(a.InFlight, b.InFlight),
                    ((a.Goodput * a.SpanSeconds) + (b.Goodput * b.SpanSeconds)) / (a.SpanSeconds + b.SpanSeconds)));
            }
            else
            {
                merged.Add(a);
            }
        }

        _points.Clear();
        _points.AddRange(merged);
    }
}
