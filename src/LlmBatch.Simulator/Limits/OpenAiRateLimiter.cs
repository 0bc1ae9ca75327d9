using System.Collections.Concurrent;

namespace LlmBatch.Simulator;

/// <summary>
/// OpenAI-style limits per API key: a request bucket and a token bucket, each refilling continuously and holding
/// <see cref="SimulatorOptions.BurstSeconds"/> worth of its per-minute rate. Cost is charged at admission, never refunded.
/// </summary>
internal sealed class OpenAiRateLimiter : IRateLimiter
{
    private readonly ConcurrentDictionary<string, KeyBuckets> _keys = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly int _rpm;
    private readonly long _tpm;
    private readonly double _burst;

    public OpenAiRateLimiter(SimulatorOptions options)
    {
        _time = options.TimeProvider;
        _origin = _time.GetTimestamp();
        _rpm = options.RequestsPerMinute;
        _tpm = options.TokensPerMinute;
        _burst = options.BurstSeconds;
    }

    public RateDecision Admit(string apiKey, long tokenCost)
    {
        var now = _time.GetElapsedTime(_origin).TotalSeconds;
        var key = _keys.GetOrAdd(apiKey, static (_, s) => new KeyBuckets(s.Item1, s.Item2, s.Item3, s.Item4), (_rpm, _tpm, _burst, now));
        lock (key)
        {
            key.Requests?.Refill(now);
            key.Tokens?.Refill(now);
            var waitRequests = key.Requests?.WaitFor(1) ?? 0;
            var waitTokens = key.Tokens?.WaitFor(tokenCost) ?? 0;
            var rejected = waitRequests > 0 ? RateLimitKind.Requests : waitTokens > 0 ? RateLimitKind.Tokens : RateLimitKind.None;
            if (rejected == RateLimitKind.None)
            {
                key.Requests?.Take(1);
                key.Tokens?.Take(tokenCost);
            }

            return new RateDecision(
                rejected,
                TimeSpan.FromSeconds(Math.Max(waitRequests, waitTokens)),
                _rpm,
                _tpm,
                key.Requests?.Remaining ?? 0,
                key.Tokens?.Remaining ?? 0,
                key.Requests?.UntilFull ?? TimeSpan.Zero,
                key.Tokens?.UntilFull ?? TimeSpan.Zero,
                tokenCost)
            {
                UsedRequests = key.Requests?.PerMinuteUsed(_rpm) ?? 0,
                UsedTokens = key.Tokens?.PerMinuteUsed(_tpm) ?? 0,
            };
        }
    }
}
