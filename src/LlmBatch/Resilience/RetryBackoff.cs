using LlmBatch.RateLimiting;

namespace LlmBatch.Resilience;

/// <summary>
/// Exponential backoff with full jitter (uniform between zero and the exponential bound, capped), which spreads a
/// crowd of retries evenly instead of synchronising them. A wait the server asks for takes precedence.
/// </summary>
internal sealed class RetryBackoff
{
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;
    private readonly Random _random;

    public RetryBackoff(TimeSpan baseDelay, TimeSpan maxDelay, Random? random = null)
    {
        _baseDelay = baseDelay;
        _maxDelay = maxDelay;
        _random = random ?? Random.Shared;
    }

    /// <summary>The delay before retry number <paramref name="retry"/> (1 for the first retry).</summary>
    public TimeSpan Next(int retry, TimeSpan? serverDelay)
    {
        // A wait of zero (or less) from the server says nothing: an item refused forever would otherwise retry in a hot loop.
        if (serverDelay is { } asked && asked > TimeSpan.Zero)
        {
            // Honour the server's word, with a little spread so that a crowd told "1 s" does not return as one; held to
            // the longest wait a header is read as, whoever built the response, so no timer overflows.
            var given = asked > RateLimitHeaderParser.MaxWait ? RateLimitHeaderParser.MaxWait : asked;
            return given + TimeSpan.FromMilliseconds(_random.NextDouble() * Math.Min(250, given.TotalMilliseconds * 0.1));
        }

        return TimeSpan.FromTicks((long)(_random.NextDouble() * UpperBound(retry).Ticks));
    }

    /// <summary>The largest delay full jitter may choose before retry number <paramref name="retry"/>.</summary>
    public TimeSpan UpperBound(int retry)
    {
        var exponent = Math.Clamp(retry - 1, 0, 30);
        var ticks = Math.Min(_maxDelay.Ticks, _baseDelay.Ticks * (double)(1L << exponent));
        return TimeSpan.FromTicks((long)ticks);
    }
}
