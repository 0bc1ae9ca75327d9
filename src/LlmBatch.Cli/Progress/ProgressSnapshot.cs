using System.Globalization;

namespace LlmBatch.Cli.Progress;

/// <summary>The figures both displays show, derived from two engine snapshots taken a moment apart.</summary>
internal sealed record ProgressSnapshot
{
    public required BatchProgress Now { get; init; }

    /// <summary>Items in the input, when known.</summary>
    public long? Total { get; init; }

    /// <summary>Items an earlier run already finished (counted as done).</summary>
    public long Resumed { get; init; }

    public long MemoryBytes { get; init; }

    /// <summary>Attempts per minute since the previous snapshot.</summary>
    public double RequestsPerMinute { get; init; }

    /// <summary>Tokens (prompt + completion) per minute since the previous snapshot.</summary>
    public double TokensPerMinute { get; init; }

    /// <summary>Items that succeeded per minute since the previous snapshot: the goodput.</summary>
    public double SucceededPerMinute { get; init; }

    /// <summary>Estimated time left at this run's average pace; null when unknown.</summary>
    public TimeSpan? Eta { get; init; }

    /// <summary>
    /// The spend this run is heading for: what it has settled plus, for each item still to do, the average cost of the
    /// items it finished (cached and shared ones count as free, as they are); null before any item finished or without prices.
    /// </summary>
    public decimal? ProjectedCost
    {
        get
        {
            if (Now.Cost is not { } cost || Now.Completed == 0)
            {
                return null;
            }

            var left = Total is { } t ? Math.Max(0, t - Done) : 0;
            return cost.Spent + (cost.Spent / Now.Completed * left);
        }
    }

    /// <summary>Items done, this run's and an earlier run's.</summary>
    public long Done => Resumed + Now.Completed;

    /// <summary>Each endpoint's attempts per minute over the same window, in the order of <see cref="BatchProgress.Endpoints"/>.</summary>
    public IReadOnlyList<double> EndpointRequestsPerMinute { get; init; } = [];

    /// <summary>The share of the input done, 0..1; 0 when the total is unknown.</summary>
    public double Share => Total is { } t && t > 0 ? Math.Clamp((double)Done / t, 0, 1) : 0;

    public static ProgressSnapshot From(BatchProgress now, BatchProgress? previous, ProgressTotals totals, long memoryBytes)
    {
        ArgumentNullException.ThrowIfNull(now);
        ArgumentNullException.ThrowIfNull(totals);
        var minutes = (previous is null ? now.Elapsed : now.Elapsed - previous.Elapsed).TotalMinutes;
        var attempts = now.Attempts - (previous?.Attempts ?? 0);
        var tokens = now.PromptTokens + now.CompletionTokens - (previous is null ? 0 : previous.PromptTokens + previous.CompletionTokens);
        var resumed = totals.Resumed;
        TimeSpan? eta = null;
        if (totals.Items is { } t && now.Completed > 0 && now.Elapsed > TimeSpan.Zero)
        {
            var remaining = Math.Max(0, t - resumed - now.Completed);
            eta = TimeSpan.FromSeconds(Math.Min(remaining * now.Elapsed.TotalSeconds / now.Completed, TimeSpan.FromDays(365).TotalSeconds));
        }

        return new ProgressSnapshot
        {
            Now = now,
            Total = totals.Items,
            Resumed = resumed,
            MemoryBytes = memoryBytes,
            RequestsPerMinute = minutes > 0 ? attempts / minutes : 0,
            TokensPerMinute = minutes > 0 ? tokens / minutes : 0,
            SucceededPerMinute = minutes > 0 ? (now.Succeeded - (previous?.Succeeded ?? 0)) / minutes : 0,
            Eta = eta,
            EndpointRequestsPerMinute = EndpointsText.Rates(now.Endpoints, previous?.Endpoints, minutes),
        };
    }

    /// <summary>One plain line with every figure, for logs.</summary>
    public string ToPlainLine()
    {
        var p = Now;
        var c = CultureInfo.InvariantCulture;
        var done = Total is { } t && t > 0
            ? string.Create(c, $"{Done:#,0}/{t:#,0} ({100 * Share:0.0}%{(Resumed > 0 ? string.Create(c, $", {Resumed:#,0} from an earlier run") : "")})")
            : string.Create(c, $"{Done:#,0} done");
        var line = string.Create(
            c,
            $"[{Clock(p.Elapsed)}] {done} ok {p.Succeeded:#,0} failed {p.Failed:#,0} | {RequestsPerMinute:#,0} req/min{Limit(p.RequestsPerMinuteLimit)} {TokensPerMinute:#,0} tok/min{Limit(p.TokensPerMinuteLimit)} | in flight {p.InFlight}{Concurrency(p)} waiting {p.WaitingOnLimiter} | goodput {SucceededPerMinute:#,0}/min | 429s {p.RateLimited:#,0} retries {p.Retries:#,0} | mem {Megabytes(MemoryBytes)}{IntakePaused(p)}");
        line += Spend(this) + Reused(p) + EndpointsText.Parts(p.Endpoints, EndpointRequestsPerMinute).Plain();
        return Eta is { } eta ? line + " | ETA " + Clock(eta) : line;
    }

    /// <summary>" | spent $X (projected $Y, cap $Z)" when the run meters cost, "" otherwise.</summary>
    public static string Spend(ProgressSnapshot s)
    {
        if (s.Now.Cost is not { } cost)
        {
            return "";
        }

        var text = " | spent " + Cli.Cost.RunCosts.Money(cost.Spent);
        var notes = new List<string>(3);
        if (s.ProjectedCost is { } projected)
        {
            notes.Add("projected " + Cli.Cost.RunCosts.Money(projected));
        }

        if (cost.MaxCost is { } cap)
        {
            notes.Add("cap " + Cli.Cost.RunCosts.Money(cap));
        }

        if (cost.UnpricedAnswers > 0)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{cost.UnpricedAnswers:#,0} unpriced"));
        }

        return notes.Count == 0 ? text : text + " (" + string.Join(", ", notes) + ")";
    }

    /// <summary>" | cached N shared M" once answers came without a request, "" otherwise.</summary>
    public static string Reused(BatchProgress p) =>
        p.AnsweredFromCache + p.SharedAnswers == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" | cached {p.AnsweredFromCache:#,0} shared {p.SharedAnswers:#,0}");

    public static string Clock(TimeSpan t) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}");

    public static string Megabytes(long bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0} MB");

    /// <summary>" (limit N)" for a per-minute budget in force, "" when there is none.</summary>
    public static string Limit(double? perMinute) =>
        perMinute is { } v ? string.Create(CultureInfo.InvariantCulture, $" (limit {v:#,0})") : "";

    /// <summary>"/N" with the concurrency limit, " adaptive" when it adapts; "" before the engine has one.</summary>
    public static string Concurrency(BatchProgress p) =>
        p.ConcurrencyLimit > 0 ? string.Create(CultureInfo.InvariantCulture, $"/{p.ConcurrencyLimit:#,0}{(p.ConcurrencyAdapts ? " adaptive" : "")}") : "";

    /// <summary>", intake paused N s" once the memory guard has held intake back, "" otherwise.</summary>
    public static string IntakePaused(BatchProgress p) =>
        p.IntakePaused > TimeSpan.Zero ? string.Create(CultureInfo.InvariantCulture, $", intake paused {p.IntakePaused.TotalSeconds:0.0} s") : "";
}
