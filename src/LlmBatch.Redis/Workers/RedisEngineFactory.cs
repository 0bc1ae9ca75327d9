using LlmBatch.Providers;
using LlmBatch.Redis.Jobs;
using StackExchange.Redis;

namespace LlmBatch.Redis.Workers;

/// <summary>
/// Where every participant of a job (the owner's own worker and each worker process) builds its engine: the job's
/// options, the participant's own concurrency bound, then the caller's <c>ConfigureEngine</c> (the shared budget).
/// </summary>
internal static class RedisEngineFactory
{
    public static IBatchEngine Build(
        IBatchHandler provider,
        RedisJobSpec spec,
        int maxConcurrency,
        int? concurrency,
        IConnectionMultiplexer redis,
        Func<BatchEngineBuilder, RedisJobSpec, IConnectionMultiplexer, BatchEngineBuilder>? configure)
    {
        var builder = new BatchEngineBuilder(provider).WithOptions(spec.ToBatchOptions(maxConcurrency, concurrency));
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
        spec.ApiKeyVariable is { } variable && string.IsNullOrWhiteSpace(environment(variable))
            ? $"its key variable {variable} is not set in this worker's environment"
            : null;
}
