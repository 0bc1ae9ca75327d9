namespace LlmBatch.Reporting;

/// <summary>
/// Folds results into everything the report shows. Per-second counters are kept by absolute second, so memory grows
/// with the run's length, not its size; only the final-attempt latency of each item (12 bytes) is kept per item, for
/// the percentiles over time and the histogram.
/// </summary>
internal sealed class RunAggregator
{
    // Few enough points to read, enough to see the shape of a run.
    private const int MaxBuckets = 180;
    private static readonly int[] BucketWidths = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

    private readonly RunReportOptions _options;
    private readonly PriceTable _prices;
    private readonly RunSummaryBuilder _summary = new();
    private readonly Dictionary<long, SecondCounts> _seconds = [];
    private readonly List<(long Second, float Ms)> _latencies = [];
    private readonly Dictionary<string, ModelUsage> _models = new(StringComparer.Ordinal);
    private readonly PriorityQueue<ItemRow, double> _slowest = new();
    private readonly List<ItemRow> _failed = [];
    private long _minSecond = long.MaxValue;
    private long _maxSecond = long.MinValue;

    public RunAggregator(RunReportOptions options)
    {
        _options = options;
        _prices = options.Prices ?? PriceTable.BuiltIn;
    }

    public void Add(BatchResult result)
    {
        _summary.Add(result);
        var stats = result.Stats;
        var model = stats.Model.Length > 0 ? stats.Model : "(unknown)";
        if (!_models.TryGetValue(model, out var usage))
        {
            usage = new ModelUsage(model);
            _models.Add(model, usage);
        }

        usage.Items++;
        usage.PromptTokens += stats.PromptTokens;
        usage.CompletionTokens += stats.CompletionTokens;
        if (result.IsSuccess)
        {
            usage.Succeeded++;
        }
        else if (_failed.Count < _options.FailedCount)
        {
            _failed.Add(Row(result));
        }

        if (stats.Attempts > 0 && _options.SlowestCount > 0)
        {
            if (_slowest.Count < _options.SlowestCount)
            {
                _slowest.Enqueue(Row(result), stats.LatencyMs);
            }
            else if (_slowest.TryPeek(out _, out var fastest) && stats.LatencyMs > fastest)
            {
                _slowest.DequeueEnqueue(Row(result), stats.LatencyMs);
            }
        }

        if (stats.StartedAt == default || stats.FinishedAt == default)
        {
            return;
        }

        var start = stats.StartedAt.ToUnixTimeMilliseconds() / 1000.0;
        var finish = Math.Max(start, stats.FinishedAt.ToUnixTimeMilliseconds() / 1000.0);
        var startSecond = (long)Math.Floor(start);
        var finishSecond = (long)Math.Floor(finish);
        _minSecond = Math.Min(_minSecond, startSecond);
        _maxSecond = Math.Max(_maxSecond, finishSecond);

        var end = At(finishSecond);
        end.Completed++;
        if (result.IsSuccess)
        {
            end.Succeeded++;
        }
        else
        {
            end.Failed++;
        }

        end.PromptTokens += stats.PromptTokens;
        end.CompletionTokens += stats.CompletionTokens;
        At(startSecond).LimiterWaitSeconds += stats.LimiterWaitMs / 1000;

        // Output lines keep only the first dispatch and the final outcome, so attempts are spread evenly between them.
        var statuses = stats.Statuses;
        for (var i = 0; i < statuses.Count; i++)
        {
            var when = At((long)Math.Floor(start + ((finish - start) * (i + 1) / statuses.Count)));
            when.Attempts++;
            if (i > 0)
            {
                when.Retries++;
            }

            switch (statuses[i])
            {
                case 0: when.NoResponse++; break;
                case 429: when.Status429++; break;
                case >= 200 and < 300: when.Status2xx++; break;
                case >= 500: when.Status5xx++; break;
                default: when.Status4xx++; break;
            }
        }

        // Time in flight as exact fractions of each second it touches: partial first and last seconds, whole seconds between.
        if (startSecond == finishSecond)
        {
            At(startSecond).InFlightPartial += finish - start;
        }
        else
        {
            At(startSecond).InFlightPartial += startSecond + 1 - start;
            At(finishSecond).InFlightPartial += finish - finishSecond;
            if (finishSecond > startSecond + 1)
            {
                At(startSecond + 1).InFlightDelta++;
                At(finishSecond).InFlightDelta--;
            }
        }

        if (stats.Attempts > 0)
        {
            _latencies.Add((finishSecond, (float)stats.LatencyMs));
        }
    }

    public RunAggregate Build()
    {
        var live = _options.LiveSummary;
        var summary = _summary.Build(live?.WallTime is { } w && w > TimeSpan.Zero ? w : null) with
        {
            RequestsPerMinuteLimit = _options.RequestsPerMinuteLimit ?? live?.RequestsPerMinuteLimit,
            TokensPerMinuteLimit = _options.TokensPerMinuteLimit ?? live?.TokensPerMinuteLimit,
            PeakMemoryBytes = live?.PeakMemoryBytes,
            IntakePausedTime = live?.IntakePausedTime,
        };

        decimal? cost = null;
        long unpriced = 0;
        var models = _models.Values.OrderByDescending(m => m.PromptTokens + m.CompletionTokens).ThenBy(m => m.Model, StringComparer.Ordinal).ToList();
        foreach (var model in models)
        {
            if (_prices.TryGetPrice(model.Model, out var price))
            {
                model.Price = price;
                cost = (cost ?? 0) + model.Cost;
            }
            else
            {
                unpriced += model.PromptTokens + model.CompletionTokens;
            }
        }

        var slowest = new List<ItemRow>(_slowest.Count);
        while (_slowest.TryDequeue(out var row, out _))
        {
            slowest.Add(row);
        }

        slowest.Reverse();
        var latencies = new double[_latencies.Count];
        for (var i = 0; i < latencies.Length; i++)
        {
            latencies[i] = _latencies[i].Ms;
        }

        Array.Sort(latencies);
        return new RunAggregate
        {
            Summary = summary,
            Timeline = BuildTimeline(),
            Models = models,
            Slowest = slowest,
            FailedItems = _failed,
            Latencies = latencies,
            PriceSource = _prices.Source,
            Cost = cost,
            UnpricedTokens = unpriced,
        };
    }

    private List<TimeBucket> BuildTimeline()
    {
        var buckets = new List<TimeBucket>();
        if (_minSecond > _maxSecond)
        {
            return buckets;
        }

        var span = _maxSecond - _minSecond + 1;
        var width = BucketWidths[^1];
        foreach (var candidate in BucketWidths)
        {
            if ((span + candidate - 1) / candidate <= MaxBuckets)
            {
                width = candidate;
                break;
            }
        }

        var count = (int)((span + width - 1) / width);
        for (var i = 0; i < count; i++)
        {
            var bucketStart = (long)i * width;
            buckets.Add(new TimeBucket { StartSeconds = bucketStart, WidthSeconds = Math.Min(width, span - bucketStart) });
        }

        double running = 0;
        for (var second = _minSecond; second <= _maxSecond; second++)
        {
            _seconds.TryGetValue(second, out var c);
            var b = buckets[(int)((second - _minSecond) / width)];
            running += c?.InFlightDelta ?? 0;
            b.InFlight += running + (c?.InFlightPartial ?? 0);
            if (c is null)
            {
                continue;
            }

            b.Completed += c.Completed;
            b.Succeeded += c.Succeeded;
            b.Failed += c.Failed;
            b.Attempts += c.Attempts;
            b.Retries += c.Retries;
            b.Status2xx += c.Status2xx;
            b.Status429 += c.Status429;
            b.Status4xx += c.Status4xx;
            b.Status5xx += c.Status5xx;
            b.NoResponse += c.NoResponse;
            b.PromptTokens += c.PromptTokens;
            b.CompletionTokens += c.CompletionTokens;
            b.LimiterWaiting += c.LimiterWaitSeconds;
        }

        foreach (var b in buckets)
        {
            b.InFlight /= b.WidthSeconds;
            b.LimiterWaiting /= b.WidthSeconds;
        }

        var perBucket = new List<double>[count];
        foreach (var (second, ms) in _latencies)
        {
            (perBucket[(int)((second - _minSecond) / width)] ??= []).Add(ms);
        }

        for (var i = 0; i < count; i++)
        {
            if (perBucket[i] is { } values)
            {
                values.Sort();
                buckets[i].LatencyP50Ms = NearestRank(values, 50);
                buckets[i].LatencyP95Ms = NearestRank(values, 95);
                buckets[i].LatencyP99Ms = NearestRank(values, 99);
            }
        }

        return buckets;
    }

    private static double NearestRank(List<double> sorted, double percentile) =>
        sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static ItemRow Row(BatchResult result)
    {
        var stats = result.Stats;
        var total = stats.StartedAt != default && stats.FinishedAt != default ? (stats.FinishedAt - stats.StartedAt).TotalMilliseconds : 0;
        return new ItemRow(
            result.CustomId,
            result.LineNumber,
            stats.Model,
            result.StatusCode,
            stats.Statuses,
            stats.LatencyMs,
            total,
            result.Error?.Code,
            result.Error?.Message);
    }

    private SecondCounts At(long second)
    {
        if (!_seconds.TryGetValue(second, out var counts))
        {
            counts = new SecondCounts();
            _seconds.Add(second, counts);
        }

        return counts;
    }

    private sealed class SecondCounts
    {
        public long Completed;
        public long Succeeded;
        public long Failed;
        public long Attempts;
        public long Retries;
        public long Status2xx;
        public long Status429;
        public long Status4xx;
        public long Status5xx;
        public long NoResponse;
        public long PromptTokens;
        public long CompletionTokens;
        public double LimiterWaitSeconds;
        public double InFlightPartial;
        public int InFlightDelta;
    }
}
