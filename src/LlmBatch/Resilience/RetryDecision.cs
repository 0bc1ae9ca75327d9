namespace LlmBatch.Resilience;

/// <summary>What to do with the outcome of one attempt.</summary>
internal enum RetryDecision
{
    /// <summary>A 2xx with a valid body: the item is done.</summary>
    Success,

    /// <summary>A transient failure: try again after a backoff; counts against the item's attempts.</summary>
    Retry,

    /// <summary>
    /// A rate-limit or overload answer (429, 503, 529): not the item's fault. Try again once the budget or a slot
    /// allows; does not count against the item's attempts.
    /// </summary>
    Throttled,

    /// <summary>A failure that another attempt cannot fix (400, 401, 403, 404, 422, ...).</summary>
    Permanent,
}
