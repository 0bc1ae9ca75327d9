namespace LlmBatch.Simulator;

/// <summary>One API key's limits; null where that dimension is not limited. Callers lock the instance.</summary>
internal sealed class KeyBuckets(SimulatorOptions options, double now)
{
    public LimitDimension? Requests { get; } = options.RequestsPerMinute > 0 ? new LimitDimension(options.RequestsPerMinute, options, now) : null;

    public LimitDimension? Tokens { get; } = options.TokensPerMinute > 0 ? new LimitDimension(options.TokensPerMinute, options, now) : null;
}
