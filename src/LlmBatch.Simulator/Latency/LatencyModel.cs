namespace LlmBatch.Simulator;

/// <summary>
/// Time to first token (lognormal around the configured median) plus time per output token, and the waits
/// themselves through the configured <see cref="TimeProvider"/>.
/// </summary>
internal sealed class LatencyModel(SimulatorOptions options)
{
    private readonly TimeProvider _time = options.TimeProvider;
    private readonly double _medianMs = options.Latency.TotalMilliseconds;
    private readonly double _sigma = options.LatencyJitter;
    private readonly double _perTokenMs = options.PerToken.TotalMilliseconds;
    private readonly double _slowFactor = options.SlowFactor;

    public TimeSpan FirstToken(double jitterNormal, bool slow) =>
        TimeSpan.FromMilliseconds(_medianMs * Math.Exp(_sigma * jitterNormal) * (slow ? _slowFactor : 1));

    public TimeSpan ForTokens(int tokens, bool slow) => TimeSpan.FromMilliseconds(_perTokenMs * tokens * (slow ? _slowFactor : 1));

    public Task DelayAsync(TimeSpan delay, CancellationToken ct) =>
        delay <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(delay, _time, ct);
}
