using LlmBatch.Providers;
using LlmBatch.Redis.Jobs;
using LlmBatch.Redis.RateLimiting;
using StackExchange.Redis;

namespace LlmBatch.Redis.Workers;

/// <summary>
/// Where every participant of a job (the owner's own worker and each worker process) builds its engine: the job's
/// options, the participant's own concurrency bound, the shared rate budget, then the caller's <c>ConfigureEngine</c>.
/// </summary>
internal static class RedisEngineFactory
{
    /// <summary>
    /// Builds the participant's engine: over <paramref name="provider"/> for a job with one endpoint, or over the
    /// endpoints of <see cref="RedisJobSpec.Endpoints"/> whose key this participant's environment holds (the provider
    /// is then unused and may be null; check <see cref="MissingKey"/> first).
    /// </summary>
    public static IBatchEngine Build(
        IBatchHandler? provider,
        RedisJobSpec spec,
        int maxConcurrency,
        int? concurrency,
        IConnectionMultiplexer redis,
        Func<string, string?> environment,
        Func<BatchEngineBuilder, RedisJobSpec, IConnectionMultiplexer, BatchEngineBuilder>? configure)
    {
        var builder = spec.Endpoints is { } endpoints
            ? new BatchEngineBuilder(RedisEndpoints.Usable(spec, endpoints, redis, environment))
            : new BatchEngineBuilder(provider ?? throw new ArgumentNullException(nameof(provider)));
        builder = builder.WithOptions(spec.ToBatchOptions(maxConcurrency, concurrency));
        if (spec.Endpoints is null && spec.BaseUrl is not null)
        {
            // Every participant draws on one budget in Redis, keyed by the endpoint and a hash of the key this process
            // holds, under the job's id: N processes stay at the provider's limit, not N times it, and a second job
            // on the same key gets its share. Each learning alone ramped up slowly (0.76 of the ideal time, 3 workers
            // and the owner at 6,000 RPM). The embedded model (no URL) has no provider limit to share.
            builder = builder.WithRedisRateBudget(redis, RedisEndpoints.Budget(spec, new Uri(spec.BaseUrl), spec.ApiKeyVariable, environment));
        }

        builder = configure?.Invoke(builder, spec, redis) ?? builder;
        return builder.Build();
    }

    /// <summary>A consumer name no other worker has, now or after a restart: machine, process id and a random suffix.</summary>
    public static string NewWorkerId() =>
        $"{Environment.MachineName}-{Environment.ProcessId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";

    /// <summary>The default provider: HTTP to the job's endpoint, the key from this process's own environment.</summary>
    public static IBatchHandler? Http(RedisJobSpec spec, Func<string, string?> environment)
    {
        if (spec.BaseUrl is null)
        {
            return null;
        }

        var key = spec.ApiKeyVariable is { } variable ? environment(variable) : null;
        return BatchProviders.Http(new Uri(spec.BaseUrl), key, maxResponseBytes: spec.MaxResponseBytes);
    }

    /// <summary>Why this worker cannot run the job, or null when it can: the key variable the spec names must be set here.</summary>
    public static string? MissingKey(RedisJobSpec spec, Func<string, string?> environment) =>
        spec.Endpoints is { } endpoints
            ? RedisEndpoints.MissingKeys(endpoints, environment)
            : spec.ApiKeyVariable is { } variable && string.IsNullOrWhiteSpace(environment(variable))
                ? $"its key variable {variable} is not set in this worker's environment"
                : null;
}
