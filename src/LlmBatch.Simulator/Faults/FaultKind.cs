namespace LlmBatch.Simulator;

/// <summary>The misbehaviours the simulator injects; <see cref="None"/> answers normally.</summary>
internal enum FaultKind
{
    None,
    Error500,
    Error503,
    Error529,
    Truncate,
    Reset,
    Hang,
    Slow,
}
