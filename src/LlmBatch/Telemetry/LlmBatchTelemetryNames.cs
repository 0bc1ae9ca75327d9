namespace LlmBatch.Telemetry;

/// <summary>
/// The names of LlmBatch's <see cref="System.Diagnostics.Metrics.Meter"/>, <see cref="System.Diagnostics.ActivitySource"/>,
/// instruments and tags, for subscribing with OpenTelemetry (<c>AddMeter(LlmBatchTelemetryNames.MeterName)</c>) or a
/// <see cref="System.Diagnostics.Metrics.MeterListener"/>. Names follow OpenTelemetry's GenAI semantic conventions
/// (<c>gen_ai.*</c>) where one exists and use <c>llmbatch.*</c> for the rest. Durations are in seconds.
/// </summary>
public static class LlmBatchTelemetryNames
{
    /// <summary>The name of the meter: <c>LlmBatch</c>.</summary>
    public const string MeterName = "LlmBatch";

    /// <summary>The name of the activity source: <c>LlmBatch</c>.</summary>
    public const string ActivitySourceName = "LlmBatch";

    /// <summary>Histogram (s): duration of each attempt, from send to full response. Tags: operation, model, status, error type.</summary>
    public const string OperationDuration = "gen_ai.client.operation.duration";

    /// <summary>Histogram ({token}): tokens per successful attempt, tagged <see cref="TokenTypeTag"/> <c>input</c> or <c>output</c>.</summary>
    public const string TokenUsage = "gen_ai.client.token.usage";

    /// <summary>Counter ({request}): attempts by <see cref="StatusCodeTag"/> (0 when no response arrived).</summary>
    public const string Requests = "llmbatch.requests";

    /// <summary>Counter ({retry}): attempts beyond each item's first, counted when the item finishes.</summary>
    public const string Retries = "llmbatch.retries";

    /// <summary>Counter ({request}): attempts answered with status 429.</summary>
    public const string RateLimited = "llmbatch.rate_limited";

    /// <summary>Histogram (s): time each item spent waiting for the rate limiter, all attempts.</summary>
    public const string LimiterWaitDuration = "llmbatch.limiter.wait.duration";

    /// <summary>Counter ({item}): items that reached a final outcome, by <see cref="OutcomeTag"/> and <see cref="ErrorTypeTag"/>.</summary>
    public const string ItemsCompleted = "llmbatch.items.completed";

    /// <summary>Gauge ({request}): requests on the wire now.</summary>
    public const string InFlight = "llmbatch.in_flight";

    /// <summary>Gauge ({item}): items waiting for the rate limiter now.</summary>
    public const string LimiterWaiting = "llmbatch.limiter.waiting";

    /// <summary>Gauge ({request}/min): the request budget in force.</summary>
    public const string LimitRequestsPerMinute = "llmbatch.limit.requests_per_minute";

    /// <summary>Gauge ({token}/min): the token budget in force.</summary>
    public const string LimitTokensPerMinute = "llmbatch.limit.tokens_per_minute";

    /// <summary>Gauge (By): the process's working set.</summary>
    public const string MemoryBytes = "llmbatch.memory.bytes";

    /// <summary>Gauge ({item}): items finished in the run under way.</summary>
    public const string ItemsDone = "llmbatch.items.done";

    /// <summary>Tag: the GenAI operation (<c>chat</c>, <c>text_completion</c>, <c>embeddings</c>).</summary>
    public const string OperationNameTag = "gen_ai.operation.name";

    /// <summary>Tag: the model named in the request.</summary>
    public const string RequestModelTag = "gen_ai.request.model";

    /// <summary>Tag: <c>input</c> or <c>output</c> on <see cref="TokenUsage"/>.</summary>
    public const string TokenTypeTag = "gen_ai.token.type";

    /// <summary>Tag: the HTTP status code of the attempt.</summary>
    public const string StatusCodeTag = "http.response.status_code";

    /// <summary>Tag: why an attempt or item failed (a status code, an exception type or an error code).</summary>
    public const string ErrorTypeTag = "error.type";

    /// <summary>Tag: <c>success</c> or <c>failure</c> on <see cref="ItemsCompleted"/>.</summary>
    public const string OutcomeTag = "llmbatch.outcome";

    /// <summary>
    /// Tag: the endpoint an attempt went to, on <see cref="Requests"/>, <see cref="RateLimited"/> and the attempt's
    /// activity, when the engine has several endpoints (<c>BatchEndpoint.Name</c>); absent otherwise.
    /// </summary>
    public const string EndpointTag = "llmbatch.endpoint";
}
