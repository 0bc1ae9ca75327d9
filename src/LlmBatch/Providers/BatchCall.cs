using LlmBatch.Input;
using LlmBatch.Resilience;

namespace LlmBatch.Providers;

/// <summary>
/// One request on its way through the pipeline, with the state its attempts share. Middleware reads it; only
/// LlmBatch's own layers write it (the retry layer counts attempts, the rate limiter its wait, the timeout layer the
/// attempt's duration), so a custom layer cannot corrupt what the output line reports.
/// </summary>
public sealed class BatchCall
{
    private List<int>? _statuses;

    /// <summary>Creates the call for a request.</summary>
    /// <param name="request">The request.</param>
    public BatchCall(BatchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Request = request;
    }

    /// <summary>The request.</summary>
    public BatchRequest Request { get; }

    /// <summary>The engine run the call belongs to (null for a call sent straight through a pipeline): where run-level layers keep their facts.</summary>
    internal BatchRunState? Run { get; init; }

    /// <summary>
    /// The name of the endpoint the attempt under way (or the last one) went to, when the engine has several
    /// (<see cref="LlmBatch.Endpoints.BatchEndpoint"/>); null otherwise.
    /// </summary>
    public string? Endpoint { get; internal set; }

    /// <summary>The endpoint the router chose for the attempt under way, for the dispatcher below it.</summary>
    internal Endpoints.EndpointSlot? Target { get; set; }

    /// <summary>The 1-based number of the attempt under way.</summary>
    public int Attempt { get; internal set; }

    /// <summary>Prompt tokens counted locally, or -1 before they have been counted.</summary>
    public int EstimatedPromptTokens { get; internal set; } = -1;

    /// <summary>Tokens reserved against the token budget for the attempt under way.</summary>
    public long ReservedTokens { get; internal set; }

    /// <summary>Time spent waiting for the rate limiter so far, across attempts.</summary>
    public TimeSpan LimiterWait { get; internal set; }

    /// <summary>Duration of the last attempt.</summary>
    public TimeSpan LastAttemptDuration { get; internal set; }

    /// <summary>When the first attempt started (from the pipeline's <see cref="TimeProvider"/>).</summary>
    public DateTimeOffset StartedAt { get; internal set; }

    /// <summary>
    /// The status of each finished attempt in order (0 when an attempt got no response): at most
    /// <see cref="MaxRecordedStatuses"/>, the first ones and the last (an item held back by rate limits for an hour may
    /// be sent thousands of times, and its output line must stay small). <see cref="Attempt"/> counts them all.
    /// </summary>
    public IReadOnlyList<int> Statuses => (IReadOnlyList<int>?)_statuses ?? [];

    /// <summary>How many attempt statuses <see cref="Statuses"/> keeps at most (64).</summary>
    public const int MaxRecordedStatuses = 64;

    /// <summary>Attempts that failed in a way that counts against <see cref="BatchOptions.MaxAttempts"/>.</summary>
    internal int FailedAttempts { get; private set; }

    /// <summary>Rate-limit and overload answers in a row, for the backoff of the next one.</summary>
    internal int ConsecutiveThrottles { get; private set; }

    /// <summary>How the retry layer classified the last attempt.</summary>
    internal RetryDecision LastDecision { get; private set; }

    /// <summary>Records how the retry layer classified a finished attempt.</summary>
    internal void RecordDecision(RetryDecision decision)
    {
        LastDecision = decision;
        if (decision == RetryDecision.Throttled)
        {
            ConsecutiveThrottles++;
            return;
        }

        ConsecutiveThrottles = 0;
        if (decision is RetryDecision.Retry or RetryDecision.Permanent)
        {
            FailedAttempts++;
        }
    }

    /// <summary>Records the outcome of a finished attempt.</summary>
    /// <param name="statusCode">Its HTTP status, or 0 when it got no response.</param>
    internal void RecordAttempt(int statusCode)
    {
        _statuses ??= new List<int>(2);
        if (_statuses.Count < MaxRecordedStatuses)
        {
            _statuses.Add(statusCode);
        }
        else
        {
            _statuses[^1] = statusCode;
        }
    }
}
