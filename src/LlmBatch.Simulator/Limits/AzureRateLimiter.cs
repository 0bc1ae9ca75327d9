using System.Collections.Concurrent;

namespace LlmBatch.Simulator;

/// <summary>
/// Azure OpenAI-style limits per API key: fixed 10-second windows, each allowing one sixth of the per-minute
/// limits. A request costing more than a whole window is admitted only into an empty window.
/// </summary>
internal sealed class AzureRateLimiter : IRateLimiter
{
    private const double WindowSeconds = 10;
    private readonly ConcurrentDictionary<string, AzureWindow> _keys = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly int _rpm;
    private readonly long _tpm;
    private readonly long _requestsPerWindow;
    private readonly long _tokensPerWindow;

    public AzureRateLimiter(SimulatorOptions options)
    {
        _time = options.TimeProvider;
        _origin = _time.GetTimestamp();
        _rpm = options.RequestsPerMinute;
        _tpm = options.TokensPerMinute;
        _requestsPerWindow = Math.Max(1, _rpm / 6);
        _tokensPerWindow = Math.Max(1, _tpm / 6);
    }

    public RateDecision Admit(string apiKey, long tokenCost)
    {
        var now = _time.GetElapsedTime(_origin).TotalSeconds;
        var index = (long)Math.Floor(now / WindowSeconds);
        var untilNext = TimeSpan.FromSeconds(((index + 1) * WindowSeconds) - now);
        var window = _keys.GetOrAdd(apiKey, static _ => new AzureWindow());
        lock (window)
        {
            if (window.Index != index)
            {
                window.Index = index;
                window.Requests = 0;
                window.Tokens = 0;
            }

            var requestsFull = _rpm > 0 && window.Requests + 1 > _requestsPerWindow;
            var tokensFull = _tpm > 0 && window.Tokens + tokenCost > _tokensPerWindow && window.Tokens > 0;
            var rejected = requestsFull ? RateLimitKind.Requests : tokensFull ? RateLimitKind.Tokens : RateLimitKind.None;
            if (rejected == RateLimitKind.None)
            {
                window.Requests++;
                window.Tokens += tokenCost;
            }

            return new RateDecision(
                rejected,
                rejected == RateLimitKind.None ? TimeSpan.Zero : untilNext,
                _rpm,
                _tpm,
                Math.Max(0, _requestsPerWindow - window.Requests),
                Math.Max(0, _tokensPerWindow - window.Tokens),
                untilNext,
                untilNext,
                tokenCost)
            {
                UsedRequests = window.Requests,
                UsedTokens = window.Tokens,
            };
        }
    }
}
