namespace LlmBatch.Caching;

/// <summary>Which requests may be answered from the cache or share another request's answer.</summary>
public enum ReusePolicy
{
    /// <summary>
    /// Only requests whose answer is meant to be reproducible: embeddings, and bodies with <c>temperature</c> 0 or a
    /// <c>seed</c>. Two identical requests at the default temperature are two samples, and each gets its own answer.
    /// </summary>
    Deterministic,

    /// <summary>Every request: an identical body gets the answer already obtained (<c>--cache-all</c>).</summary>
    All,
}
