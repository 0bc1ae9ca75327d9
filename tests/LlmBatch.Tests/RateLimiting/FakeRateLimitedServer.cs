using System.Text;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch.Tests.RateLimiting;

/// <summary>
/// A model of an OpenAI-like rate limiter: request and token buckets holding <c>burstSeconds</c> of the per-minute
/// limit, refilled continuously, charging prompt plus max_tokens at admission and never refunding. A request that
/// does not fit is rejected with 429 and not charged. Every response carries the <c>x-ratelimit-*</c> facts.
/// </summary>
internal sealed class FakeRateLimitedServer
{
    private readonly TimeProvider _time;
    private readonly double _requestRate;
    private readonly double _tokenRate;
    private readonly double _requestCapacity;
    private readonly double _tokenCapacity;
    private readonly long _requestLimit;
    private readonly long _tokenLimit;
    private readonly int _completionTokens;
    private double _requests;
    private double _tokens;
    private long _updatedAt;

    public FakeRateLimitedServer(TimeProvider time, long requestsPerMinute, long tokensPerMinute, double burstSeconds = 1, int completionTokens = 50)
    {
        _time = time;
        _requestLimit = requestsPerMinute;
        _tokenLimit = tokensPerMinute;
        _requestRate = requestsPerMinute / 60.0;
        _tokenRate = tokensPerMinute / 60.0;
        _requestCapacity = _requestRate * burstSeconds;
        _tokenCapacity = _tokenRate * burstSeconds;
        _requests = _requestCapacity;
        _tokens = _tokenCapacity;
        _completionTokens = completionTokens;
        _updatedAt = time.GetTimestamp();
    }

    public long Admitted { get; private set; }

    public long Rejected { get; private set; }

    public long TokensCharged { get; private set; }

    public List<string> RejectedAt { get; } = [];

    public BatchResponse Handle(BatchCall call)
    {
        Refill();
        var maxTokens = call.Request.MaxOutputTokens ?? 0;
        var cost = call.EstimatedPromptTokens + maxTokens;
        // Real limiters count whole tokens; the tolerance keeps floating-point noise from deciding a tie.
        if (_requests + 1e-6 < 1 || _tokens + 1e-6 < cost)
        {
            Rejected++;
            RejectedAt.Add($"{_time.GetUtcNow():ss.fff} r={_requests:0.0} t={_tokens:0.0} cost={cost}");
            var wait = Math.Max((1 - _requests) / _requestRate, (cost - _tokens) / _tokenRate);
            return new BatchResponse
            {
                StatusCode = 429,
                Body = """{"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}"""u8.ToArray(),
                Headers = Headers() with { RetryAfter = TimeSpan.FromSeconds(Math.Max(0, wait)) },
            };
        }

        _requests -= 1;
        _tokens -= cost;
        Admitted++;
        TokensCharged += cost;
        var completion = Math.Min(maxTokens, _completionTokens);
        return new BatchResponse
        {
            StatusCode = 200,
            Body = Encoding.UTF8.GetBytes($$$"""{"id":"x","choices":[],"usage":{"prompt_tokens":{{{call.EstimatedPromptTokens}}},"completion_tokens":{{{completion}}}}}"""),
            Headers = Headers(),
        };
    }

    private RateLimitHeaders Headers() => new()
    {
        LimitRequests = _requestLimit,
        LimitTokens = _tokenLimit,
        RemainingRequests = (long)Math.Max(0, Math.Floor(_requests)),
        RemainingTokens = (long)Math.Max(0, Math.Floor(_tokens)),
        ResetRequests = TimeSpan.FromSeconds((_requestCapacity - _requests) / _requestRate),
        ResetTokens = TimeSpan.FromSeconds((_tokenCapacity - _tokens) / _tokenRate),
    };

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var seconds = (now - _updatedAt) / (double)_time.TimestampFrequency;
        _updatedAt = now;
        _requests = Math.Min(_requestCapacity, _requests + (_requestRate * seconds));
        _tokens = Math.Min(_tokenCapacity, _tokens + (_tokenRate * seconds));
    }
}
