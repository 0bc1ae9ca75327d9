namespace LlmBatch.Reporting;

/// <summary>
/// A constant-memory histogram of durations in milliseconds with logarithmic buckets of about 1 % relative
/// precision between 0.1 ms and one hour (about 900 counters, 7 KB), so percentiles of millions of requests
/// cost no more memory than those of ten. Values outside that range land in the first or last bucket; the
/// exact minimum and maximum are kept apart. <see cref="Record"/> is safe to call from several threads and
/// readers may query while it runs (they see a snapshot that is at most a few values behind).
/// </summary>
internal sealed class LatencyHistogram
{
    /// <summary>The lower edge of the first bucket, in milliseconds.</summary>
    public const double LowestMs = 0.1;

    /// <summary>The upper edge of the last bucket, in milliseconds (one hour).</summary>
    public const double HighestMs = 3_600_000;

    // Neighbouring bucket edges differ by 2 %, so reporting a bucket's geometric middle is within 1 % of any value in it.
    private const double Growth = 1.02;
    private static readonly double LogGrowth = Math.Log(Growth);
    private static readonly int BucketCount = (int)Math.Ceiling(Math.Log(HighestMs / LowestMs) / LogGrowth) + 1;

    private readonly long[] _counts = new long[BucketCount];
    private long _count;
    private double _sum;
    private double _min = double.PositiveInfinity;
    private double _max = double.NegativeInfinity;

    /// <summary>How many values have been recorded.</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>The smallest value recorded, or 0 when none has been.</summary>
    public double MinMs => Count == 0 ? 0 : Volatile.Read(ref _min);

    /// <summary>The largest value recorded, or 0 when none has been.</summary>
    public double MaxMs => Count == 0 ? 0 : Volatile.Read(ref _max);

    /// <summary>The arithmetic mean of the values recorded, or 0 when none has been.</summary>
    public double MeanMs
    {
        get
        {
            var n = Count;
            return n == 0 ? 0 : Volatile.Read(ref _sum) / n;
        }
    }

    /// <summary>Records one duration.</summary>
    /// <param name="ms">The duration in milliseconds; negative values and NaN are counted as 0.</param>
    public void Record(double ms)
    {
        if (!(ms >= 0))
        {
            ms = 0;
        }

        Interlocked.Increment(ref _counts[IndexOf(ms)]);
        AddDouble(ref _sum, ms);
        UpdateMin(ref _min, ms);
        UpdateMax(ref _max, ms);
        Interlocked.Increment(ref _count);
    }

    /// <summary>
    /// The value below which the given share of recorded values falls, within about 1 % (and never outside the
    /// recorded minimum and maximum).
    /// </summary>
    /// <param name="percentile">Between 0 and 100, for example 95 for the 95th percentile.</param>
    /// <returns>The estimate in milliseconds, or 0 when nothing has been recorded.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percentile"/> is not between 0 and 100.</exception>
    public double Percentile(double percentile)
    {
        if (!(percentile is >= 0 and <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "The percentile must be between 0 and 100.");
        }

        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        if (percentile >= 100)
        {
            return MaxMs;
        }

        // The rank of the wanted value, 1-based (the nearest-rank method).
        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100 * total));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Clamp(MiddleOf(i), MinMs, MaxMs);
            }
        }

        return MaxMs;
    }

    private static int IndexOf(double ms)
    {
        if (ms <= LowestMs)
        {
            return 0;
        }

        var index = (int)(Math.Log(ms / LowestMs) / LogGrowth);
        return Math.Min(index, BucketCount - 1);
    }

    private static double MiddleOf(int index) => LowestMs * Math.Pow(Growth, index + 0.5);

    private static void AddDouble(ref double target, double value)
    {
        double seen, updated;
        do
        {
            seen = Volatile.Read(ref target);
            updated = seen + value;
        }
        while (Interlocked.CompareExchange(ref target, updated, seen) != seen);
    }

    private static void UpdateMin(ref double target, double value)
    {
        double seen;
        while (value < (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private static void UpdateMax(ref double target, double value)
    {
        double seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
