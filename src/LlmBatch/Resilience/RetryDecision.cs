namespace LlmBatch;

/// <summary>What to do with the outcome of one attempt.</summary>
internal enum RetryDecision
{
    /// <summary>A 2xx with a valid body: the item is done.</summary>
    Success,

    /// <summary>A transient failure: try again after a backoff.</summary>
    Retry,

    /// <summary>A failure that another attempt cannot fix (400, 401, 403, 404, 422, ...).</summary>
    Permanent,
}
