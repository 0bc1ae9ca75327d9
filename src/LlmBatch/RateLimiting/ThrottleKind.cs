namespace LlmBatch.RateLimiting;

/// <summary>What an answer says about the server's limits, beyond its own item.</summary>
internal enum ThrottleKind
{
    /// <summary>Nothing: a success or an ordinary failure.</summary>
    None,

    /// <summary>A 429 that carries rate-limit headers: a budget ran out (requests or tokens).</summary>
    RateLimited,

    /// <summary>The server had no room: a 503, a 529, or a 429 without any rate-limit header (TGI past its slots).</summary>
    Overloaded,

    /// <summary>A 429 whose code is <c>insufficient_quota</c>: the account is out of credit, and no wait fixes it.</summary>
    QuotaExhausted,

    /// <summary>
    /// A 429 that says "Request too large": this one request needs more than the whole per-minute budget, and no wait
    /// fixes it. A failure of the item, not of the run.
    /// </summary>
    RequestTooLarge,
}
