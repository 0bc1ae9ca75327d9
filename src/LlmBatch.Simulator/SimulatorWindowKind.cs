namespace LlmBatch.Simulator;

/// <summary>How the simulator enforces a limit over <see cref="SimulatorOptions.BurstSeconds"/>.</summary>
public enum SimulatorWindowKind
{
    /// <summary>A bucket holding that many seconds of the rate, refilled continuously (OpenAI's quantised limits).</summary>
    Bucket,

    /// <summary>Fixed windows of that length counted from the clock, each admitting that many seconds of the rate.</summary>
    Fixed,
}
