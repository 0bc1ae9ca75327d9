namespace LlmBatch;

/// <summary>One request on its way through the pipeline, with the state its attempts share.</summary>
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

    /// <summary>The 1-based number of the attempt under way.</summary>
    public int Attempt { get; set; }

    /// <summary>Prompt tokens counted locally, or -1 before they have been counted.</summary>
    public int EstimatedPromptTokens { get; set; } = -1;

    /// <summary>Tokens reserved against the token budget for the attempt under way.</summary>
    public long ReservedTokens { get; set; }

    /// <summary>Time spent waiting for the rate limiter so far, across attempts.</summary>
    public TimeSpan LimiterWait { get; set; }

    /// <summary>Duration of the last attempt.</summary>
    public TimeSpan LastAttemptDuration { get; set; }

    /// <summary>When the first attempt started (from the pipeline's <see cref="TimeProvider"/>).</summary>
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>The status of each finished attempt in order (0 when an attempt got no response).</summary>
    public IReadOnlyList<int> Statuses => (IReadOnlyList<int>?)_statuses ?? [];

    /// <summary>Records the outcome of a finished attempt.</summary>
    /// <param name="statusCode">Its HTTP status, or 0 when it got no response.</param>
    public void RecordAttempt(int statusCode) => (_statuses ??= new List<int>(2)).Add(statusCode);
}
