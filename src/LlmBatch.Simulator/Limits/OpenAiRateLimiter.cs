using System.Collections.Concurrent;

namespace LlmBatch.Simulator;

/// <summary>
/// OpenAI-style limits per API key: a request limit and a token limit (see <see cref="LimitDimension"/>), each
/// reported per minute and enforced over <see cref="SimulatorOptions.BurstSeconds"/>. Cost is charged at admission,
/// never refunded.
/// </summary>
internal sealed class OpenAiRateLimiter : IRateLimiter
{
    private readonly ConcurrentDictionary<string, KeyBuckets> _keys = new(StringComparer.Ordinal);
    private readonly SimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly long _origin;

    public OpenAiRateLimiter(SimulatorOptions options)
    {
        _options = options;
        _time = options.TimeProvider;
        _origin = _time.GetTimestamp();
    }

    public RateDecision Admit(string apiKey, long tokenCost)
    {
        var now = _time.GetElapsedTime(_origin).TotalSeconds;
        var key = _keys.GetOrAdd(apiKey, static (_, s) => new KeyBuckets(s.Options, s.Now), (Options: _options, Now: now));
        lock (key)
        {
            var waitRequests = key.Requests?.WaitFor(now, 1) ?? 0;
            var waitTokens = key.Tokens?.WaitFor(now, tokenCost) ?? 0;
            var rejected = waitRequests > 0 ? RateLimitKind.Requests : waitTokens > 0 ? RateLimitKind.Tokens : RateLimitKind.None;
            if (rejected == RateLimitKind.None)
            {
                key.Requests?.Take(1);
                key.Tokens?.Take(tokenCost);
            }

            return new RateDecision(
                rejected,
                TimeSpan.FromSeconds(Math.Max(waitRequests, waitTokens)),
                _options.RequestsPerMinute,
                _options.TokensPerMinute,
                key.Requests?.Remaining ?? 0,
                key.Tokens?.Remaining ?? 0,
                key.Requests?.UntilFull ?? TimeSpan.Zero,
                key.Tokens?.UntilFull ?? TimeSpan.Zero,
                tokenCost)
            {
                UsedRequests = key.Requests?.PerMinuteUsed ?? 0,
                UsedTokens = key.Tokens?.PerMinuteUsed ?? 0,
            };
        }
    }
}
