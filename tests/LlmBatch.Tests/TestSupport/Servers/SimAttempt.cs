using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch.Tests.TestSupport.Servers;

/// <summary>One attempt on its way through a <see cref="ServerSimulation"/>: sent, at the server, answered.</summary>
internal sealed class SimAttempt(BatchCall call, RateLease lease, DateTimeOffset sentAt)
{
    public BatchCall Call { get; } = call;

    public RateLease Lease { get; } = lease;

    public DateTimeOffset SentAt { get; } = sentAt;

    /// <summary>When the answer reaches the client; set by the server.</summary>
    public DateTimeOffset DueAt { get; set; }

    /// <summary>The answer; set by the server.</summary>
    public BatchResponse? Response { get; set; }

    /// <summary>Work left for servers that share their capacity among active requests (tokens to generate).</summary>
    public double WorkLeft { get; set; }
}
