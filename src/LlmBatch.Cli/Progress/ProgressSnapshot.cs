using System.Globalization;

namespace LlmBatch.Cli.Progress;

/// <summary>The figures both displays show, derived from two engine snapshots taken a moment apart.</summary>
internal sealed record ProgressSnapshot
{
    public required BatchProgress Now { get; init; }

    public long? Total { get; init; }

    public long MemoryBytes { get; init; }

    /// <summary>Attempts per second since the previous snapshot.</summary>
    public double RequestsPerSecond { get; init; }

    /// <summary>Tokens (prompt + completion) per second since the previous snapshot.</summary>
    public double TokensPerSecond { get; init; }

    /// <summary>Estimated time left at the run's average pace; null when unknown.</summary>
    public TimeSpan? Eta { get; init; }

    public static ProgressSnapshot From(BatchProgress now, BatchProgress? previous, long? total, long memoryBytes)
    {
        ArgumentNullException.ThrowIfNull(now);
        var dt = previous is null ? now.Elapsed.TotalSeconds : (now.Elapsed - previous.Elapsed).TotalSeconds;
        var attempts = now.Attempts - (previous?.Attempts ?? 0);
        var tokens = now.PromptTokens + now.CompletionTokens - (previous is null ? 0 : previous.PromptTokens + previous.CompletionTokens);
        TimeSpan? eta = null;
        if (total is { } t && now.Completed > 0 && now.Elapsed > TimeSpan.Zero)
        {
            var remaining = Math.Max(0, t - now.Completed);
            eta = TimeSpan.FromSeconds(Math.Min(remaining * now.Elapsed.TotalSeconds / now.Completed, TimeSpan.FromDays(365).TotalSeconds));
        }

        return new ProgressSnapshot
        {
            Now = now,
            Total = total,
            MemoryBytes = memoryBytes,
            RequestsPerSecond = dt > 0 ? attempts / dt : 0,
            TokensPerSecond = dt > 0 ? tokens / dt : 0,
            Eta = eta,
        };
    }

    /// <summary>One plain line with every figure, for logs.</summary>
    public string ToPlainLine()
    {
        var p = Now;
        var done = Total is { } t && t > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{p.Completed:#,0}/{t:#,0} ({100.0 * p.Completed / t:0.0}%)")
            : string.Create(CultureInfo.InvariantCulture, $"{p.Completed:#,0} done");
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"[{Clock(p.Elapsed)}] {done} ok {p.Succeeded:#,0} failed {p.Failed:#,0} | {RequestsPerSecond:0.0} req/s{Limit(p.RequestsPerMinuteLimit, " rpm")} {TokensPerSecond:#,0} tok/s{Limit(p.TokensPerMinuteLimit, " tpm")} | in flight {p.InFlight} waiting {p.WaitingOnLimiter} | 429s {p.RateLimited:#,0} retries {p.Retries:#,0} | mem {Megabytes(MemoryBytes)}");
        return Eta is { } eta ? line + " | ETA " + Clock(eta) : line;
    }

    public static string Clock(TimeSpan t) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}");

    public static string Megabytes(long bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0} MB");

    public static string Limit(double? perMinute, string unit) =>
        perMinute is { } v ? string.Create(CultureInfo.InvariantCulture, $" (limit {v:#,0}{unit})") : "";
}
