using LlmBatch.Endpoints;
using LlmBatch.Providers;
using LlmBatch.Redis.Jobs;
using LlmBatch.Redis.RateLimiting;
using StackExchange.Redis;

namespace LlmBatch.Redis.Workers;

/// <summary>
/// A job's several endpoints as one participant runs them: only those whose key variable its own environment holds
/// (no key is ever in Redis), each with its own budget shared through Redis, keyed by that endpoint and a hash of the
/// key under the job's id, so that every participant using an endpoint together stays at that endpoint's limit.
/// </summary>
internal static class RedisEndpoints
{
    /// <summary>The endpoints this participant can run, each over HTTP with its key from this environment.</summary>
    public static List<BatchEndpoint> Usable(RedisJobSpec spec, IReadOnlyList<RedisJobEndpoint> endpoints, IConnectionMultiplexer redis, Func<string, string?> environment)
    {
        var usable = new List<BatchEndpoint>(endpoints.Count);
        foreach (var e in endpoints)
        {
            if (!HasKey(e, environment))
            {
                continue;
            }

            var url = new Uri(e.BaseUrl);
            var budget = Budget(spec, url, e.ApiKeyVariable, environment);
            budget.Validate();
            var key = RedisBudgetKey.For(budget.KeyPrefix, url, budget.Model, budget.ApiKey);
            var provider = BatchProviders.Http(url, Key(e.ApiKeyVariable, environment), maxResponseBytes: spec.MaxResponseBytes);
            usable.Add(new BatchEndpoint(e.Name, provider)
            {
                RequestsPerMinute = e.RequestsPerMinute,
                TokensPerMinute = e.TokensPerMinute,
                Weight = e.Weight,
                Model = e.Model,
                RateBudget = (batch, time, logger) => new RedisRateBudget(redis.GetDatabase(), key, budget, batch, time, logger),
            });
        }

        return usable;
    }

    /// <summary>The shared budget of the endpoint at <paramref name="url"/> for the key this environment holds, under the job's id.</summary>
    public static RedisRateBudgetOptions Budget(RedisJobSpec spec, Uri url, string? keyVariable, Func<string, string?> environment) => new()
    {
        Endpoint = url,
        ApiKey = Key(keyVariable, environment),
        JobId = spec.JobId,
    };

    /// <summary>Why this participant can run none of the endpoints, or null when it can run at least one.</summary>
    public static string? MissingKeys(IReadOnlyList<RedisJobEndpoint> endpoints, Func<string, string?> environment)
    {
        foreach (var e in endpoints)
        {
            if (HasKey(e, environment))
            {
                return null;
            }
        }

        return $"none of its {endpoints.Count} endpoints' key variables ({string.Join(", ", endpoints.Select(e => e.ApiKeyVariable))}) is set in this worker's environment";
    }

    /// <summary>Whether this environment holds the endpoint's key (or it needs none).</summary>
    public static bool HasKey(RedisJobEndpoint endpoint, Func<string, string?> environment) =>
        endpoint.ApiKeyVariable is null || !string.IsNullOrWhiteSpace(environment(endpoint.ApiKeyVariable));

    private static string? Key(string? variable, Func<string, string?> environment) =>
        variable is null ? null : environment(variable);
}
