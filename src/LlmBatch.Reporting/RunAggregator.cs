using LlmBatch.Cost;
using LlmBatch.Output;

namespace LlmBatch.Reporting;

/// <summary>
/// Folds results into everything the report shows. Per-second counters are kept by absolute second, so memory grows
/// with the run's length, not its size. The final-attempt latencies, for the percentiles over time and the histogram,
/// are kept for at most <see cref="MaxLatencySamples"/> items: every item up to there (the figures are exact), a
/// uniform sample of that size beyond (the items whose custom_id hashes lowest). Keeping all of them held 546 MB at
/// 10 M items. A sample of 2^20 still made a run's peak memory grow with its size up to a million items (12 MB kept, as
/// much again while the arrays doubled, and the per-slice lists): 2^17 holds 3 MB, and gives each of up to 180 time
/// slices about 730 samples, enough for the chart's percentiles.
/// <para>
/// What the report keeps only part of does not depend on the order results are added in, beyond file order: the
/// sample is chosen by hash, and the first failures and the slowest items' ties go by file order, which
/// <see cref="BeginEarlierLines"/> lets a caller give when it adds a run's own results first and the lines earlier runs
/// left after them (<see cref="RunReportCollector"/>): the report is then the one built from reading the file.
/// </para>
/// </summary>
internal sealed class RunAggregator
{
    // Few enough points to read, enough to see the shape of a run.
    private const int MaxBuckets = 180;
    private static readonly int[] BucketWidths = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

    private const int InProgress = 0;
    private const int Waiting = 1;

    /// <summary>How many latencies are kept at most (24 bytes each once the sample is full); see the class summary.</summary>
    internal const int MaxLatencySamples = 1 << 17;

    // Times come from an output file, which anything may have written: one item is drawn over at most the longest
    // an item can run (its deadline's bound), and the timeline shows at most the last MaxBuckets days, so a line
    // dated year 1 to 9999 costs a bounded amount of work instead of a loop over every second in between.
    private const long MaxItemSeconds = 7 * 86_400;
    private const long MaxTimelineSeconds = MaxBuckets * 86_400L;

    private readonly RunReportOptions _options;
    private readonly PriceTable _prices;
    private readonly RunSummaryBuilder _summary = new();
    private readonly Dictionary<long, SecondCounts> _seconds = [];

    // The kept latencies and the second each started in: two arrays rather than a List<(long, float)>, 12 bytes a
    // sample instead of 16, and no generic code over a value tuple for the precompiled tool to compile at start-up.
    private long[] _latencySeconds = [];
    private float[] _latencyMs = [];
    private int _latencyCount;

    // Once the sample is full: each kept sample's custom_id hash, and a max-heap of the slots by that hash, whose top
    // is the next to give way to an item that hashes lower.
    private ulong[] _latencyHash = [];
    private int[] _heap = [];
    private readonly int _maxLatencySamples;
    private long _latenciesSeen;
    private readonly Dictionary<string, ModelUsage> _models = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EndpointUsage> _endpoints = new(StringComparer.Ordinal);
    private readonly PriorityQueue<ItemRow, (double LatencyMs, long Order)> _slowest = new(SlowerLater.Instance);
    private readonly List<(ItemRow Row, long Order)> _failed = [];

    // Each result's place in file order: results added as usual count up from zero; after BeginEarlierLines, from the
    // lowest long, so lines read from before a run's own results come first.
    private long _order;
    private long _earlierOrder = long.MinValue;
    private bool _earlier;
    private long _minSecond = long.MaxValue;
    private long _maxSecond = long.MinValue;

    public RunAggregator(RunReportOptions options, int maxLatencySamples = MaxLatencySamples)
    {
        _options = options;
        _prices = options.Prices ?? PriceTable.BuiltIn;
        _maxLatencySamples = maxLatencySamples;
    }

    /// <summary>
    /// The results added from now on stand in the file before every one added so far (the lines earlier runs left,
    /// read after a run's own results were added as they were written), in the order they are added.
    /// </summary>
    public void BeginEarlierLines() => _earlier = true;

    public void Add(BatchResult result)
    {
        var order = _earlier ? _earlierOrder++ : _order++;
        _summary.Add(result);
        var stats = result.Stats;
        var model = stats.Model.Length > 0 ? stats.Model : "(unknown)";
        if (!_models.TryGetValue(model, out var usage))
        {
            usage = new ModelUsage(model);
            _models.Add(model, usage);
        }

        usage.Items++;
        usage.Add(stats);
        if (stats.Endpoint is { } endpoint)
        {
            var byEndpoint = EndpointOf(endpoint);
            byEndpoint.Items++;
            byEndpoint.Succeeded += result.IsSuccess ? 1 : 0;
        }

        if (result.IsSuccess)
        {
            usage.Succeeded++;
        }
        else
        {
            KeepFailure(result, order);
        }

        if (stats.Attempts > 0 && _options.SlowestCount > 0)
        {
            var key = (stats.LatencyMs, order);
            if (_slowest.Count < _options.SlowestCount)
            {
                _slowest.Enqueue(Row(result), key);
            }
            else if (_slowest.TryPeek(out _, out var fastest) && SlowerLater.Instance.Compare(key, fastest) > 0)
            {
                _slowest.DequeueEnqueue(Row(result), key);
            }
        }

        if (stats.StartedAt == default || stats.FinishedAt == default)
        {
            return;
        }

        var finish = stats.FinishedAt.ToUnixTimeMilliseconds() / 1000.0;
        var start = Math.Clamp(stats.StartedAt.ToUnixTimeMilliseconds() / 1000.0, finish - MaxItemSeconds, finish);
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

        // Output lines keep only the first dispatch, the final outcome and the final attempt's duration: the final
        // attempt is placed where it started; earlier ones could have been anywhere before it, so each is spread
        // evenly over that window rather than put at a guessed instant (a guess draws spikes that never happened).
        // A pack's attempts are on every member's line but were made once: only its first member places them.
        var statuses = stats.CountsAttempts ? stats.Statuses : [];
        var finalStart = Math.Clamp(finish - (stats.LatencyMs / 1000), start, finish);
        // Spread only what a real run can produce (at most 100 attempts within the hour); anything else is counted
        // where it began, in time proportional to the line, not to the window it claims.
        var spread = statuses.Count <= 100 && finalStart - start <= 3600;
        for (var i = 0; i < statuses.Count - 1; i++)
        {
            if (spread)
            {
                Spread(start, finalStart, statuses[i], retry: i > 0);
            }
            else
            {
                Count(At((long)Math.Floor(start)), statuses[i], retry: i > 0, 1);
            }
        }

        if (statuses.Count > 0)
        {
            Count(At((long)Math.Floor(finalStart)), statuses[^1], retry: statuses.Count > 1, 1);
        }

        // Time in progress, and the part of it spent waiting for the rate limiter (taken as the time from dispatch:
        // an item waits for its first attempt's budget right after it is dispatched).
        AddSpan(start, finish, InProgress);
        AddSpan(start, Math.Min(finish, start + (stats.LimiterWaitMs / 1000)), Waiting);

        if (stats.Attempts > 0)
        {
            SampleLatency(finishSecond, (float)stats.LatencyMs, CustomIdHash.Compute(result.CustomId));
        }
    }

    // The first FailedCount failures in file order. Results added as usual come in file order, so once the list is
    // full only an earlier line can displace one (a linear search of at most FailedCount rows, for those alone).
    private void KeepFailure(BatchResult result, long order)
    {
        if (_failed.Count < _options.FailedCount)
        {
            _failed.Add((Row(result), order));
            return;
        }

        if (!_earlier || _failed.Count == 0)
        {
            return;
        }

        var latest = 0;
        for (var i = 1; i < _failed.Count; i++)
        {
            if (_failed[i].Order > _failed[latest].Order)
            {
                latest = i;
            }
        }

        if (order < _failed[latest].Order)
        {
            _failed[latest] = (Row(result), order);
        }
    }

    // Bottom-k sampling: the items whose custom_id hashes lowest are kept. The hash is as good as a random draw, so
    // every item is equally likely to be in the sample, and unlike a draw it does not depend on the order the items
    // come in: the report of a run folded as it went is the one rebuilt from its file later.
    private void SampleLatency(long second, float ms, ulong hash)
    {
        ++_latenciesSeen;
        if (_latencyCount < _maxLatencySamples)
        {
            if (_latencyCount == _latencyMs.Length)
            {
                var size = (int)Math.Min(_maxLatencySamples, Math.Max(256L, _latencyMs.Length * 2L));
                var seconds = new long[size];
                var values = new float[size];
                var hashes = new ulong[size];
                Array.Copy(_latencySeconds, seconds, _latencyCount);
                Array.Copy(_latencyMs, values, _latencyCount);
                Array.Copy(_latencyHash, hashes, _latencyCount);
                _latencySeconds = seconds;
                _latencyMs = values;
                _latencyHash = hashes;
            }

            _latencySeconds[_latencyCount] = second;
            _latencyMs[_latencyCount] = ms;
            _latencyHash[_latencyCount++] = hash;
            if (_latencyCount == _maxLatencySamples)
            {
                BuildHeap();
            }

            return;
        }

        var top = _heap[0];
        if (hash < _latencyHash[top])
        {
            _latencySeconds[top] = second;
            _latencyMs[top] = ms;
            _latencyHash[top] = hash;
            SiftDown(0);
        }
    }

    private void BuildHeap()
    {
        _heap = new int[_latencyCount];
        for (var i = 0; i < _heap.Length; i++)
        {
            _heap[i] = i;
        }

        for (var i = (_heap.Length / 2) - 1; i >= 0; i--)
        {
            SiftDown(i);
        }
    }

    private void SiftDown(int at)
    {
        var n = _heap.Length;
        while (true)
        {
            var largest = at;
            var left = (2 * at) + 1;
            if (left < n && _latencyHash[_heap[left]] > _latencyHash[_heap[largest]])
            {
                largest = left;
            }

            if (left + 1 < n && _latencyHash[_heap[left + 1]] > _latencyHash[_heap[largest]])
            {
                largest = left + 1;
            }

            if (largest == at)
            {
                return;
            }

            (_heap[at], _heap[largest]) = (_heap[largest], _heap[at]);
            at = largest;
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
        decimal? saved = null;
        decimal? onlineCost = null;
        decimal? batchApiCost = null;
        decimal? equivalent = null;
        long unpriced = 0;
        // Most tokens first, then by name: a total order (names are unique), so List.Sort gives what OrderByDescending
        // and ThenBy gave, without LINQ's generic code over a long key to compile at start-up.
        var models = new List<ModelUsage>(_models.Values);
        models.Sort(static (a, b) =>
        {
            var byTokens = (b.PromptTokens + b.CompletionTokens).CompareTo(a.PromptTokens + a.CompletionTokens);
            return byTokens != 0 ? byTokens : string.CompareOrdinal(a.Model, b.Model);
        });
        foreach (var model in models)
        {
            if (_prices.TryGetPrice(model.Model, out var price))
            {
                model.Price = price;
                cost = (cost ?? 0) + model.Cost;
                saved = (saved ?? 0) + model.Saved;
                onlineCost = (onlineCost ?? 0) + model.OnlineCost;
                batchApiCost = (batchApiCost ?? 0) + model.BatchApiCost;
                equivalent = (equivalent ?? 0) + model.BatchEquivalent;
            }
            else
            {
                unpriced += model.PaidPromptTokens + model.PaidCompletionTokens + model.BatchPromptTokens + model.BatchCompletionTokens;
            }
        }

        var slowest = new List<ItemRow>(_slowest.Count);
        while (_slowest.TryDequeue(out var row, out _))
        {
            slowest.Add(row);
        }

        slowest.Reverse();
        var order = LatencyOrder.Ascending(_latencyMs, _latencyCount);
        var latencies = new double[_latencyCount];
        for (var i = 0; i < latencies.Length; i++)
        {
            latencies[i] = _latencyMs[order[i]];
        }

        return new RunAggregate
        {
            ConcurrencyTimeline = live?.ConcurrencyTimeline ?? [],
            Endpoints = Endpoints(live),
            Workers = _options.Workers ?? [],
            Summary = summary,
            Timeline = BuildTimeline(order),
            Models = models,
            Slowest = slowest,
            FailedItems = FailedInFileOrder(),
            Latencies = latencies,
            LatencyWeight = latencies.Length == 0 ? 1 : (double)_latenciesSeen / latencies.Length,
            PriceSource = _prices.Source,
            Cost = cost,
            Saved = saved,
            OnlineCost = onlineCost,
            BatchApiCost = batchApiCost,
            BatchEquivalent = equivalent,
            UnpricedTokens = unpriced,
            SkippedInputs = _options.SkippedInputs,
        };
    }

    /// <summary>Each endpoint's items from the lines, with the live run's figures where it has them, in the live run's order.</summary>
    private List<EndpointUsage> Endpoints(RunSummary? live)
    {
        foreach (var e in live?.Endpoints ?? [])
        {
            EndpointOf(e.Name).Live = e;
        }

        var order = live?.Endpoints.Select(e => e.Name).ToList() ?? [];
        return [.. _endpoints.Values.OrderBy(e => order.IndexOf(e.Name) is var i and >= 0 ? i : int.MaxValue).ThenBy(e => e.Name, StringComparer.Ordinal)];
    }

    private EndpointUsage EndpointOf(string name)
    {
        if (!_endpoints.TryGetValue(name, out var usage))
        {
            usage = new EndpointUsage(name);
            _endpoints.Add(name, usage);
        }

        return usage;
    }

    private List<TimeBucket> BuildTimeline(int[] ascending)
    {
        var buckets = new List<TimeBucket>();
        if (_minSecond > _maxSecond)
        {
            return buckets;
        }

        // Deltas of spans that began before the window still count inside it.
        var from = Math.Max(_minSecond, _maxSecond - MaxTimelineSeconds + 1);
        Span<double> running = stackalloc double[2];
        foreach (var (second, c) in _seconds)
        {
            if (second < from)
            {
                running[InProgress] += c.SpanDelta[InProgress];
                running[Waiting] += c.SpanDelta[Waiting];
            }
        }

        var span = _maxSecond - from + 1;
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

        for (var second = from; second <= _maxSecond; second++)
        {
            _seconds.TryGetValue(second, out var c);
            var b = buckets[(int)((second - from) / width)];
            for (var kind = 0; kind < running.Length; kind++)
            {
                running[kind] += c?.SpanDelta[kind] ?? 0;
            }

            b.InFlight += running[InProgress] + (c?.SpanPartial[InProgress] ?? 0);
            b.LimiterWaiting += running[Waiting] + (c?.SpanPartial[Waiting] ?? 0);
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
        }

        foreach (var b in buckets)
        {
            b.InFlight /= b.WidthSeconds;
            b.LimiterWaiting /= b.WidthSeconds;
        }

        // In ascending order of latency, so each slice's list comes out sorted.
        var perBucket = new List<double>[count];
        foreach (var i in ascending)
        {
            var second = _latencySeconds[i];
            if (second >= from)
            {
                (perBucket[(int)((second - from) / width)] ??= []).Add(_latencyMs[i]);
            }
        }

        for (var i = 0; i < count; i++)
        {
            if (perBucket[i] is { } values)
            {
                buckets[i].LatencyP50Ms = NearestRank(values, 50);
                buckets[i].LatencyP95Ms = NearestRank(values, 95);
                buckets[i].LatencyP99Ms = NearestRank(values, 99);
            }
        }

        return buckets;
    }

    private static double NearestRank(List<double> sorted, double percentile) =>
        sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    private List<ItemRow> FailedInFileOrder()
    {
        _failed.Sort(static (a, b) => a.Order.CompareTo(b.Order));
        var rows = new List<ItemRow>(_failed.Count);
        foreach (var (row, _) in _failed)
        {
            rows.Add(row);
        }

        return rows;
    }

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

    // Adds one item's presence over [from, to) to each second it touches: exact fractions of the first and last
    // seconds, and the whole seconds between by a start/end delta, so a long item costs two entries, not one per second.
    private void AddSpan(double from, double to, int kind)
    {
        if (to <= from)
        {
            return;
        }

        var first = (long)Math.Floor(from);
        var last = (long)Math.Floor(to);
        if (first == last)
        {
            At(first).SpanPartial[kind] += to - from;
            return;
        }

        At(first).SpanPartial[kind] += first + 1 - from;
        At(last).SpanPartial[kind] += to - last;
        if (last > first + 1)
        {
            At(first + 1).SpanDelta[kind]++;
            At(last).SpanDelta[kind]--;
        }
    }

    // Counts one attempt whose time is only known to lie in [from, to], spread evenly over the seconds it covers.
    private void Spread(double from, double to, int status, bool retry)
    {
        if (to - from < 0.001)
        {
            Count(At((long)Math.Floor(from)), status, retry, 1);
            return;
        }

        for (var second = (long)Math.Floor(from); second <= (long)Math.Floor(to); second++)
        {
            var overlap = Math.Min(to, second + 1) - Math.Max(from, second);
            if (overlap > 0)
            {
                Count(At(second), status, retry, overlap / (to - from));
            }
        }
    }

    private static void Count(SecondCounts counts, int status, bool retry, double weight)
    {
        counts.Attempts += weight;
        if (retry)
        {
            counts.Retries += weight;
        }

        switch (status)
        {
            case 0: counts.NoResponse += weight; break;
            case 429: counts.Status429 += weight; break;
            case >= 200 and < 300: counts.Status2xx += weight; break;
            case >= 500: counts.Status5xx += weight; break;
            default: counts.Status4xx += weight; break;
        }
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
        public long PromptTokens;
        public long CompletionTokens;

        // Attempts may be spread over several seconds, so these hold fractions.
        public double Attempts;
        public double Retries;
        public double Status2xx;
        public double Status429;
        public double Status4xx;
        public double Status5xx;
        public double NoResponse;

        // Indexed by InProgress / Waiting.
        public readonly double[] SpanPartial = new double[2];
        public readonly int[] SpanDelta = new int[2];
    }
}
