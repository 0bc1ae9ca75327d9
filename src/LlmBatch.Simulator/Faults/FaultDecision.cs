namespace LlmBatch.Simulator;

/// <summary>What happens to one attempt: its fault and the random stream for its latency jitter.</summary>
internal readonly record struct FaultDecision(FaultKind Kind, double JitterNormal);
