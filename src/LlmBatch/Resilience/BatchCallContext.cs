using LlmBatch.Providers;
using Polly;

namespace LlmBatch.Resilience;

/// <summary>The key under which the retry layer keeps the call in Polly's <see cref="ResilienceContext"/>.</summary>
internal static class BatchCallContext
{
    /// <summary>The call whose attempts the context runs.</summary>
    public static readonly ResiliencePropertyKey<BatchCall> Key = new("llmbatch.call");
}
