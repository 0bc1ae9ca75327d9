namespace LlmBatch.Simulator;

/// <summary>What the simulator does with a request that arrives while <see cref="SimulatorOptions.MaxInFlight"/> requests are being processed.</summary>
public enum SimulatorOverflow
{
    /// <summary>Wait for a free slot, as a loaded inference server does: latency grows with the queue.</summary>
    Queue,

    /// <summary>Answer 503 Service Unavailable at once.</summary>
    Reject,
}
