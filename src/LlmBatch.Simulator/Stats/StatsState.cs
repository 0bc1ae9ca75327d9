using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace LlmBatch.Simulator;

/// <summary>
/// One generation of counters. A reset swaps in a fresh instance, so counting never takes a lock;
/// fields rather than properties because they are updated with <see cref="Interlocked"/>.
/// </summary>
internal sealed class StatsState(long started)
{
#pragma warning disable CA1051 // Interlocked needs fields; this type is internal and owned by StatsCollector.
    public readonly long Started = started;
    public readonly ConcurrentDictionary<(string Endpoint, int Status), StrongBox<long>> ByEndpoint = new();
    public readonly ConcurrentDictionary<ulong, byte> Succeeded = new();
    public readonly long[] Faults = new long[8];
    public readonly BatchCounters Batches = new();
    public long Total;
    public long RateLimitedRequests;
    public long RateLimitedTokens;
    public long CapacityRejected;
    public long TokensAdmitted;
    public long PromptTokens;
    public long CompletionTokens;
    public long Duplicates;
    public int MaxInFlight;
#pragma warning restore CA1051
}
