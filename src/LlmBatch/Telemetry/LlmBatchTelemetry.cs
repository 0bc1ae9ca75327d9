using System.Diagnostics;
using System.Diagnostics.Metrics;
using LlmBatch.Output;

namespace LlmBatch.Telemetry;

/// <summary>
/// LlmBatch's one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both named <c>LlmBatch</c>, and the
/// instruments on them (names in <see cref="LlmBatchTelemetryNames"/>). Recording is skipped when nobody listens.
/// </summary>
internal static class LlmBatchTelemetry
{
    private static readonly string? Version = typeof(LlmBatchTelemetry).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource ActivitySource = new(LlmBatchTelemetryNames.ActivitySourceName, Version);

    public static readonly Meter Meter = new(LlmBatchTelemetryNames.MeterName, Version);

    // Buckets from the GenAI semantic conventions' advice for operation duration.
    private static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    // Buckets from the GenAI semantic conventions' advice for token usage.
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    public static readonly Histogram<double> OperationDuration = Meter.CreateHistogram(
        LlmBatchTelemetryNames.OperationDuration,
        "s",
        "Duration of each attempt, from send to full response.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly Histogram<long> TokenUsage = Meter.CreateHistogram(
        LlmBatchTelemetryNames.TokenUsage,
        "{token}",
        "Tokens used per successful attempt, by token type.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });

    public static readonly Counter<long> Requests = Meter.CreateCounter<long>(
        LlmBatchTelemetryNames.Requests, "{request}", "Attempts made, by HTTP status (0 when no response arrived).");

    public static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        LlmBatchTelemetryNames.Retries, "{retry}", "Attempts beyond each item's first.");

    public static readonly Counter<long> RateLimited = Meter.CreateCounter<long>(
        LlmBatchTelemetryNames.RateLimited, "{request}", "Attempts answered with status 429.");

    public static readonly Histogram<double> LimiterWaitDuration = Meter.CreateHistogram(
        LlmBatchTelemetryNames.LimiterWaitDuration,
        "s",
        "Time each item spent waiting for the rate limiter, all attempts.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly Counter<long> ItemsCompleted = Meter.CreateCounter<long>(
        LlmBatchTelemetryNames.ItemsCompleted, "{item}", "Items that reached a final outcome.");

    private static Func<BatchProgress>? s_progress;

    static LlmBatchTelemetry()
    {
        Meter.CreateObservableGauge(
            LlmBatchTelemetryNames.InFlight,
            () => Observe(static p => p.InFlight),
            "{request}",
            "Requests on the wire now.");
        Meter.CreateObservableGauge(
            LlmBatchTelemetryNames.LimiterWaiting,
            () => Observe(static p => p.WaitingOnLimiter),
            "{item}",
            "Items waiting for the rate limiter now.");
        Meter.CreateObservableGauge(
            LlmBatchTelemetryNames.ItemsDone,
            () => Observe(static p => p.Completed),
            "{item}",
            "Items finished in the run under way.");
        Meter.CreateObservableGauge(
            LlmBatchTelemetryNames.LimitRequestsPerMinute,
            () => ObserveOptional(static p => p.RequestsPerMinuteLimit),
            "{request}/min",
            "The request budget in force.");
        Meter.CreateObservableGauge(
            LlmBatchTelemetryNames.LimitTokensPerMinute,
            () => ObserveOptional(static p => p.TokensPerMinuteLimit),
            "{token}/min",
            "The token budget in force.");
        Meter.CreateObservableGauge(
            LlmBatchTelemetryNames.MemoryBytes,
            static () => Volatile.Read(ref s_progress) is null ? [] : new[] { new Measurement<long>(Environment.WorkingSet) },
            "By",
            "The process's working set.");
    }

    /// <summary>
    /// Makes the gauges read from <paramref name="source"/> (the engine's <c>GetProgress</c>) until the returned
    /// handle is disposed. The latest registration wins.
    /// </summary>
    public static IDisposable ObserveProgress(Func<BatchProgress> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Volatile.Write(ref s_progress, source);
        return new Registration(source);
    }

    /// <summary>Records one item's final outcome: completed count, retries, limiter wait. The engine calls it once per item.</summary>
    public static void RecordItemCompleted(BatchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var stats = result.Stats;
        if (ItemsCompleted.Enabled)
        {
            var outcome = new KeyValuePair<string, object?>(LlmBatchTelemetryNames.OutcomeTag, result.IsSuccess ? "success" : "failure");
            var model = new KeyValuePair<string, object?>(LlmBatchTelemetryNames.RequestModelTag, stats.Model);
            if (result.Error is { } error)
            {
                ItemsCompleted.Add(1, outcome, model, new KeyValuePair<string, object?>(LlmBatchTelemetryNames.ErrorTypeTag, error.Code));
            }
            else
            {
                ItemsCompleted.Add(1, outcome, model);
            }
        }

        if (stats.Attempts > 1 && Retries.Enabled)
        {
            Retries.Add(stats.Attempts - 1, new KeyValuePair<string, object?>(LlmBatchTelemetryNames.RequestModelTag, stats.Model));
        }

        if (LimiterWaitDuration.Enabled)
        {
            LimiterWaitDuration.Record(stats.LimiterWaitMs / 1000, new KeyValuePair<string, object?>(LlmBatchTelemetryNames.RequestModelTag, stats.Model));
        }
    }

    private static Measurement<long>[] Observe(Func<BatchProgress, long> read)
    {
        var source = Volatile.Read(ref s_progress);
        return source is null ? [] : [new Measurement<long>(read(source()))];
    }

    private static Measurement<double>[] ObserveOptional(Func<BatchProgress, double?> read)
    {
        var source = Volatile.Read(ref s_progress);
        return source is not null && read(source()) is { } value ? [new Measurement<double>(value)] : [];
    }

    private sealed class Registration(Func<BatchProgress> source) : IDisposable
    {
        public void Dispose() => Interlocked.CompareExchange(ref s_progress, null, source);
    }
}
