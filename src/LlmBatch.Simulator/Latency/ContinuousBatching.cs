namespace LlmBatch.Simulator;

/// <summary>
/// A GPU server's decoding under continuous batching (<see cref="SimulatorOptions.Saturation"/>): every active sequence
/// advances one token per step, and a step takes longer the more sequences share it, gently up to the saturation
/// point and in proportion past it. Decoding is timed in chunks of a few tokens, each at the step time of the moment,
/// so a sequence slows down and speeds up as others join and leave.
/// </summary>
internal sealed class ContinuousBatching(SimulatorOptions options)
{
    /// <summary>Tokens decoded per timed chunk: finer timers cost more than they simulate.</summary>
    private const int Chunk = 8;

    private readonly TimeProvider _time = options.TimeProvider;
    private readonly double _perTokenMs = options.PerToken.TotalMilliseconds;
    private readonly double _saturation = Math.Max(1, options.Saturation);
    private readonly double _growth = options.SaturationGrowth;
    private int _active;

    /// <summary>Sequences decoding now.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>The time of one decoding step with <paramref name="active"/> sequences, in milliseconds.</summary>
    public double StepMs(int active)
    {
        var a = Math.Max(1, active);
        return _perTokenMs * (1 + (_growth * Math.Min(a, _saturation) / _saturation)) * Math.Max(1.0, a / _saturation);
    }

    /// <summary>Decodes <paramref name="tokens"/> tokens as one of the active sequences.</summary>
    public async Task DecodeAsync(int tokens, double slowFactor, CancellationToken ct)
    {
        Interlocked.Increment(ref _active);
        try
        {
            for (var done = 0; done < tokens; done += Chunk)
            {
                var n = Math.Min(Chunk, tokens - done);
                var delay = TimeSpan.FromMilliseconds(StepMs(Active) * n * slowFactor);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _time, ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }
}
