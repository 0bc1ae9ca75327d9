namespace LlmBatch.Simulator;

/// <summary>What the simulator's <c>x-ratelimit-*</c> headers describe.</summary>
public enum SimulatorHeaderScale
{
    /// <summary>
    /// The per-minute budget, as OpenAI reports it: <c>remaining</c> out of a minute's worth and <c>reset</c> until
    /// that is full again, while the limit is enforced over the much shorter <see cref="SimulatorOptions.BurstSeconds"/>.
    /// A client that reads a minute's remaining as a burst it may send at once is refused.
    /// </summary>
    Minute,

    /// <summary>The enforced bucket itself: <c>remaining</c> out of <see cref="SimulatorOptions.BurstSeconds"/> of the rate.</summary>
    Window,
}
