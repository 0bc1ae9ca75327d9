using StackExchange.Redis;

namespace LlmBatch.Redis.RateLimiting;

/// <summary>Shares an engine's rate budget with other processes through Redis.</summary>
public static class RedisRateBudgetBuilderExtensions
{
    /// <summary>
    /// Draws the engine's request and token budgets from Redis instead of process memory: every engine, on any
    /// machine, whose options name the same endpoint and key shares the buckets, the limits learned from headers and
    /// 429s, and the pauses servers ask for, so that together they stay at the provider's limit rather than N times it.
    /// While several jobs take from the budget, each is held to its share (<see cref="RedisRateBudgetOptions.ShareWeight"/>);
    /// <see cref="BatchOptions.RequestsPerMinute"/> and <see cref="BatchOptions.TokensPerMinute"/> cap this job.
    /// The admission queue and the concurrency limit stay in each process.
    /// </summary>
    /// <param name="builder">The engine builder.</param>
    /// <param name="redis">The connection (Redis 6.2 or newer, or Valkey). Configure it with <c>abortConnect=false</c> so
    /// that the engine starts, and waits, while Redis is down.</param>
    /// <param name="options">Where the budget lives and this job's part of it; validated here.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="BatchOptionsException">An option is invalid; the message lists every problem.</exception>
    public static BatchEngineBuilder WithRedisRateBudget(this BatchEngineBuilder builder, IConnectionMultiplexer redis, RedisRateBudgetOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var key = RedisBudgetKey.For(options.KeyPrefix, options.Endpoint!, options.Model, options.ApiKey);
        return builder.WithRateBudget((batch, time, logger) => new RedisRateBudget(redis.GetDatabase(), key, options, batch, time, logger));
    }
}
