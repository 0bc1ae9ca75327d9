using LlmBatch.Output;

namespace LlmBatch.Reporting;

/// <summary>
/// Accumulates <see cref="BatchResult"/>s into a <see cref="RunSummary"/> in constant memory (counters and a
/// <see cref="LatencyHistogram"/>), so a summary of any run can be built while it runs or from its output file.
/// Not thread-safe: call <see cref="Add"/> from one thread at a time.
/// </summary>
internal sealed class RunSummaryBuilder
{
    private readonly Dictionary<string, long> _failedByCode = new(StringComparer.Ordinal);
    private readonly Dictionary<int, long> _statusCounts = [];
    private readonly LatencyHistogram _latency = new();
    private long _total;
    private long _succeeded;
    private long _attempts;
    private long _retries;
    private long _rateLimited;
    private long _promptTokens;
    private long _completionTokens;
    private long _usageReported;
    private long _cached;
    private long _shared;
    private double _limiterWaitMs;
    private DateTimeOffset? _started;
    private DateTimeOffset? _finished;

    /// <summary>Results added so far.</summary>
    public long Count => _total;

    /// <summary>Adds one item's final outcome.</summary>
    /// <param name="result">The result.</param>
    public void Add(BatchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var stats = result.Stats;
        _total++;
        if (result.IsSuccess)
        {
            _succeeded++;
        }
        else
        {
            var code = result.Error?.Code ?? "http_" + result.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _failedByCode[code] = _failedByCode.GetValueOrDefault(code) + 1;
        }

        // A pack's attempts are written on every member's line; they were made once, for the whole pack.
        var counts = stats.CountsAttempts;
        _attempts += counts ? stats.Attempts : 0;
        _retries += counts ? Math.Max(0, stats.Attempts - 1) : 0;
        var reused = stats.SharedWith is not null || stats.Cached || !counts;
        if (stats.SharedWith is not null)
        {
            _shared++;
        }
        else if (stats.Cached)
        {
            _cached++;
        }

        var statuses = counts ? stats.Statuses : [];
        if (statuses.Count == 0)
        {
            // An answer given without a request (cache, shared) or counted with its pack made no attempt of its own.
            if (result.StatusCode != 0 && !reused)
            {
                CountStatus(result.StatusCode);
            }
        }
        else
        {
            for (var i = 0; i < statuses.Count; i++)
            {
                CountStatus(statuses[i]);
            }
        }

        _promptTokens += stats.PromptTokens;
        _completionTokens += stats.CompletionTokens;
        if (stats.UsageReported)
        {
            _usageReported++;
        }

        _limiterWaitMs += stats.LimiterWaitMs;

        // An item never sent (or read from a provider's own output, which has no timing) has no latency or times.
        if (stats.Attempts > 0)
        {
            _latency.Record(stats.LatencyMs);
        }

        if (stats.StartedAt != default)
        {
            if (_started is null || stats.StartedAt < _started)
            {
                _started = stats.StartedAt;
            }
        }

        if (stats.FinishedAt != default)
        {
            if (_finished is null || stats.FinishedAt > _finished)
            {
                _finished = stats.FinishedAt;
            }
        }
    }

    /// <summary>Builds the summary of everything added so far. The builder can keep accumulating afterwards.</summary>
    /// <param name="wallTime">
    /// The run's duration as the engine measured it; null (default) to take the span from the earliest start to
    /// the latest finish of the items.
    /// </param>
    /// <returns>The summary; the live-only figures (<see cref="RunSummary.PeakMemoryBytes"/>, limits, paused time) are null.</returns>
    public RunSummary Build(TimeSpan? wallTime = null)
    {
        var wall = wallTime
            ?? (_started is { } s && _finished is { } f && f > s ? f - s : TimeSpan.Zero);
        var seconds = wall.TotalSeconds;
        return new RunSummary
        {
            StartedAt = _started,
            FinishedAt = _finished,
            WallTime = wall,
            Total = _total,
            Succeeded = _succeeded,
            Failed = _total - _succeeded,
            FailedByCode = new Dictionary<string, long>(_failedByCode, StringComparer.Ordinal),
            Attempts = _attempts,
            Retries = _retries,
            RateLimited = _rateLimited,
            StatusCounts = new Dictionary<int, long>(_statusCounts),
            PromptTokens = _promptTokens,
            CompletionTokens = _completionTokens,
            UsageReportedItems = _usageReported,
            CachedItems = _cached,
            SharedItems = _shared,
            ItemsPerSecond = seconds > 0 ? _total / seconds : 0,
            RequestsPerSecond = seconds > 0 ? _attempts / seconds : 0,
            TokensPerSecond = seconds > 0 ? (_promptTokens + _completionTokens) / seconds : 0,
            LatencyP50Ms = _latency.Percentile(50),
            LatencyP95Ms = _latency.Percentile(95),
            LatencyP99Ms = _latency.Percentile(99),
            LatencyMaxMs = _latency.MaxMs,
            LatencyMeanMs = _latency.MeanMs,
            LimiterWaitMs = _limiterWaitMs,
        };
    }

    private void CountStatus(int status)
    {
        _statusCounts[status] = _statusCounts.GetValueOrDefault(status) + 1;
        if (status == 429)
        {
            _rateLimited++;
        }
    }
}
