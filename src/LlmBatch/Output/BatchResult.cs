namespace LlmBatch.Output;

/// <summary>
/// The final outcome of one request: an OpenAI Batch API output line
/// <c>{"id","custom_id","response":{"status_code","request_id","body"},"error"}</c> plus <see cref="Stats"/>.
/// </summary>
public sealed class BatchResult
{
    /// <summary>The request's <c>custom_id</c>.</summary>
    public required string CustomId { get; init; }

    /// <summary>The output line's own identifier (<c>batch_req_…</c>), derived from the custom_id.</summary>
    public required string Id { get; init; }

    /// <summary>The HTTP status of the final attempt; 0 when no response was ever received.</summary>
    public int StatusCode { get; init; }

    /// <summary>The provider's request id (<c>x-request-id</c>), when it sent one.</summary>
    public string? RequestId { get; init; }

    /// <summary>The final response body as UTF-8 JSON; empty when there was no parseable body.</summary>
    public ReadOnlyMemory<byte> ResponseBody { get; init; }

    /// <summary>
    /// True when <see cref="ResponseBody"/> is known to be one complete JSON value in valid UTF-8 (the response's
    /// facts were read from it), so the output line takes it as it is without reading it once more.
    /// </summary>
    internal bool BodyIsCheckedJson { get; init; }

    /// <summary>Why the item failed, or null when it succeeded.</summary>
    public BatchError? Error { get; init; }

    /// <summary>Per-item facts: attempts, latency, tokens.</summary>
    public required BatchItemStats Stats { get; init; }

    /// <summary>The 1-based input line of the request; 0 when it was built in code.</summary>
    public long LineNumber { get; init; }

    /// <summary>This result with other facts and input line; with its body or without (for readers of figures only).</summary>
    internal BatchResult With(BatchItemStats stats, long lineNumber, bool keepBody) => new()
    {
        CustomId = CustomId,
        Id = Id,
        StatusCode = StatusCode,
        RequestId = RequestId,
        ResponseBody = keepBody ? ResponseBody : default,
        BodyIsCheckedJson = keepBody && BodyIsCheckedJson,
        Error = Error,
        Stats = stats,
        LineNumber = lineNumber,
    };

    /// <summary>True when the item got a 2xx response with a valid body.</summary>
    public bool IsSuccess => Error is null && StatusCode is >= 200 and < 300;
}
