namespace LlmBatch.Reporting;

/// <summary>The figures of one slice of the run's timeline; rates are per minute, levels are averages.</summary>
internal sealed class TimeBucket
{
    /// <summary>Seconds from the run's start to the bucket's start.</summary>
    public double StartSeconds { get; init; }

    public double WidthSeconds { get; init; }

    public long Completed { get; set; }

    public long Succeeded { get; set; }

    public long Failed { get; set; }

    public double Attempts { get; set; }

    public double Retries { get; set; }

    public double Status2xx { get; set; }

    public double Status429 { get; set; }

    public double Status4xx { get; set; }

    public double Status5xx { get; set; }

    public double NoResponse { get; set; }

    public long PromptTokens { get; set; }

    public long CompletionTokens { get; set; }

    /// <summary>Average items between first dispatch and final outcome over the bucket (waiting ones included).</summary>
    public double InFlight { get; set; }

    /// <summary>Average items waiting for the rate limiter over the bucket (their wait time over the bucket's length).</summary>
    public double LimiterWaiting { get; set; }

    public double LatencyP50Ms { get; set; } = double.NaN;

    public double LatencyP95Ms { get; set; } = double.NaN;

    public double LatencyP99Ms { get; set; } = double.NaN;

    /// <summary>A count over the bucket as a rate per minute (attempt counts may hold fractions: see RunAggregator).</summary>
    public double PerMinute(double count) => count * 60.0 / WidthSeconds;
}
