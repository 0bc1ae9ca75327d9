using System.Globalization;

namespace LlmBatch.BatchApi;

/// <summary>
/// Chooses how to send a job, before anything is sent. Online time is the larger of requests / RPM and tokens / TPM
/// (prompt plus <c>max_tokens</c>, as the engine budgets), plus one request's latency; with no limit known, the
/// requests go <see cref="OnlineLimits.MaxConcurrency"/> at a time at <see cref="OnlineLimits.Latency"/> each. The
/// Batch API's turnaround is taken as its completion window (24 h): it promises no less. So: a deadline at or past the
/// window goes all to the Batch API (it fits, at half the price); a shorter one goes online as far as
/// <see cref="DeadlineShare"/> of it allows at the limits, and the rest (if any) to the Batch API.
/// </summary>
internal static class BatchPlanner
{
    /// <summary>The share of the deadline the online part may fill; the rest is room for retries and 429 pauses.</summary>
    public const double DeadlineShare = 0.9;

    /// <summary>Plans a job.</summary>
    /// <param name="input">The work, the limits, the deadline and the prices.</param>
    /// <returns>The plan.</returns>
    public static BatchPlan Plan(BatchPlanInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var requests = input.Load.Sum(l => l.Requests);
        var prompt = input.Load.Sum(l => l.PromptTokens);
        var completion = input.Load.Sum(l => l.CompletionTokens);
        var perRequest = requests > 0 ? (double)(prompt + completion) / requests : 0;
        var limits = input.Limits;
        var window = input.CompletionWindow;
        var deadline = input.Deadline ?? window;

        long online;
        string reason;
        switch (input.Forced)
        {
            case BatchPlanChoice.Online:
                (online, reason) = (requests, "online, as asked (--mode online)");
                break;
            case BatchPlanChoice.Batch:
            case BatchPlanChoice.Split:
                (online, reason) = (0, "the Batch API, as asked (--mode batch)");
                break;
            default:
                if (requests == 0)
                {
                    (online, reason) = (0, "nothing left to send");
                }
                else if (deadline >= window)
                {
                    (online, reason) = (0, $"the Batch API: its {Clock(window)} window meets the {(input.Deadline is null ? "default deadline (the window itself)" : "deadline of " + Clock(deadline))} at half the online price");
                }
                else
                {
                    var fit = Fit(deadline, limits, perRequest, requests);
                    online = fit;
                    reason = fit >= requests
                        ? $"online: the whole job takes about {Clock(OnlineTime(requests, limits, perRequest))} at the limits, within {Share} of the {Clock(deadline)} deadline; the Batch API promises only {Clock(window)}"
                        : fit == 0
                            ? $"the Batch API: not even one request fits the {Clock(deadline)} deadline online; the batch window is {Clock(window)}"
                            : $"split: {fit.ToString("N0", CultureInfo.InvariantCulture)} online fit {Share} of the {Clock(deadline)} deadline at the limits; the other {(requests - fit).ToString("N0", CultureInfo.InvariantCulture)} go to the Batch API at half the price";
                }

                break;
        }

        var onlineCost = Cost(input, batch: false);
        var batchCost = Cost(input, batch: true);
        var share = requests > 0 ? (decimal)online / requests : 0m;
        return new BatchPlan
        {
            Choice = input.Forced switch
            {
                BatchPlanChoice.Online => BatchPlanChoice.Online,
                BatchPlanChoice.Batch or BatchPlanChoice.Split => BatchPlanChoice.Batch,
                _ => online == 0 ? BatchPlanChoice.Batch : online >= requests ? BatchPlanChoice.Online : BatchPlanChoice.Split,
            },
            Requests = requests,
            OnlineRequests = online,
            Deadline = deadline,
            DeadlineGiven = input.Deadline is not null,
            BatchTurnaround = window,
            OnlineTimeAll = OnlineTime(requests, limits, perRequest),
            OnlineTime = OnlineTime(online, limits, perRequest),
            Limits = limits,
            PromptTokens = prompt,
            CompletionTokens = completion,
            OnlineCostAll = onlineCost,
            BatchCostAll = batchCost,
            PlannedCost = onlineCost is { } o && batchCost is { } b ? (o * share) + (b * (1 - share)) : null,
            Reason = reason,
        };
    }

    /// <summary>How long <paramref name="requests"/> take online at <paramref name="limits"/>, each using <paramref name="tokensPerRequest"/>.</summary>
    public static TimeSpan OnlineTime(long requests, OnlineLimits limits, double tokensPerRequest)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (requests <= 0)
        {
            return TimeSpan.Zero;
        }

        double minutes = 0;
        if (limits.RequestsPerMinute is > 0 and var rpm)
        {
            minutes = Math.Max(minutes, requests / rpm);
        }

        if (limits.TokensPerMinute is > 0 and var tpm)
        {
            minutes = Math.Max(minutes, requests * tokensPerRequest / tpm);
        }

        if (limits.RequestsPerMinute is not > 0 && limits.TokensPerMinute is not > 0)
        {
            minutes = requests * limits.Latency.TotalMinutes / Math.Max(1, limits.MaxConcurrency);
        }

        return TimeSpan.FromMinutes(minutes) + limits.Latency;
    }

    private static string Share => string.Create(CultureInfo.InvariantCulture, $"{DeadlineShare * 100:0}%");

    private static long Fit(TimeSpan deadline, OnlineLimits limits, double perRequest, long requests)
    {
        var minutes = (deadline * DeadlineShare - limits.Latency).TotalMinutes;
        if (minutes <= 0)
        {
            return 0;
        }

        var fit = double.PositiveInfinity;
        if (limits.RequestsPerMinute is > 0 and var rpm)
        {
            fit = Math.Min(fit, rpm * minutes);
        }

        if (limits.TokensPerMinute is > 0 and var tpm && perRequest > 0)
        {
            fit = Math.Min(fit, tpm * minutes / perRequest);
        }

        if (limits.RequestsPerMinute is not > 0 && limits.TokensPerMinute is not > 0)
        {
            fit = minutes / Math.Max(1e-9, limits.Latency.TotalMinutes) * Math.Max(1, limits.MaxConcurrency);
        }

        return (long)Math.Clamp(Math.Floor(fit), 0, requests);
    }

    private static decimal? Cost(BatchPlanInput input, bool batch)
    {
        if (input.Cost is null)
        {
            return null;
        }

        decimal total = 0;
        foreach (var load in input.Load)
        {
            if (input.Cost(load.Model, load.PromptTokens, load.CompletionTokens, batch) is not { } cost)
            {
                return null;
            }

            total += cost;
        }

        return total;
    }

    /// <summary>A duration the way the plan prints it: <c>31s</c>, <c>12m 5s</c>, <c>24h 0m</c>, <c>3d 1h</c>.</summary>
    public static string Clock(TimeSpan time)
    {
        var c = CultureInfo.InvariantCulture;
        return time.TotalSeconds < 60 ? string.Create(c, $"{Math.Ceiling(time.TotalSeconds)}s")
            : time.TotalMinutes < 60 ? string.Create(c, $"{(int)time.TotalMinutes}m {time.Seconds}s")
            : time.TotalHours < 48 ? string.Create(c, $"{(int)time.TotalHours}h {time.Minutes}m")
            : string.Create(c, $"{(int)time.TotalDays}d {time.Hours}h");
    }
}
