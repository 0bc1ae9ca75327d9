using System.Collections.Concurrent;

namespace LlmBatch.Simulator;

/// <summary>
/// Decides each attempt's fault from the seed, the (key, body) hash and how many times that same request was
/// seen before: the n-th attempt of a given request meets the same fate on every run, whatever the concurrency,
/// so a failing test or benchmark replays exactly.
/// </summary>
internal sealed class FaultInjector
{
    private readonly ConcurrentDictionary<ulong, int> _attempts = new();
    private readonly ulong _seed;
    private readonly double[] _cumulative;
    private static readonly FaultKind[] Order =
        [FaultKind.Error500, FaultKind.Error503, FaultKind.Error529, FaultKind.Truncate, FaultKind.Reset, FaultKind.Hang, FaultKind.Slow];

    public FaultInjector(SimulatorOptions options)
    {
        _seed = unchecked((ulong)options.Seed) ^ 0xFA017UL;
        double[] p = [options.P500, options.P503, options.P529, options.PTruncate, options.PReset, options.PHang, options.PSlow];
        _cumulative = new double[p.Length];
        double sum = 0;
        for (var i = 0; i < p.Length; i++)
        {
            sum += p[i];
            _cumulative[i] = sum;
        }
    }

    public FaultDecision Decide(ulong requestKeyHash)
    {
        var attempt = _attempts.AddOrUpdate(requestKeyHash, 1, static (_, n) => n + 1);
        var rng = new SplitMix(SplitMix.Mix(requestKeyHash ^ _seed, (ulong)attempt));
        var u = rng.NextDouble();
        var kind = FaultKind.None;
        for (var i = 0; i < _cumulative.Length; i++)
        {
            if (u < _cumulative[i])
            {
                kind = Order[i];
                break;
            }
        }

        return new FaultDecision(kind, rng.NextGaussian());
    }
}
