using System.Text.Json;
using LlmBatch.Redis.Connection;
using LlmBatch.Redis.Jobs;
using StackExchange.Redis;

namespace LlmBatch.Redis.Workers;

/// <summary>
/// A worker process of the Redis scale-out: it looks for open jobs in one Redis, joins one it can run (its environment
/// holds the key variable the job names), works on it through an ordinary engine until the job is done, and looks
/// again. Started on any number of machines, the workers share every job's items; one killed costs at most the items
/// it held, which the others take over after the lease.
/// </summary>
public static class RedisBatchWorker
{
    /// <summary>Runs the worker until <paramref name="cancellationToken"/> is cancelled, or with <see cref="RedisWorkerOptions.Once"/> until no open job it can run is left.</summary>
    /// <param name="options">The worker's options.</param>
    /// <param name="cancellationToken">Stops the worker: no more items are claimed, requests on the wire may finish for the grace period, the rest is released to others.</param>
    /// <returns>The worker's figures over every job it took part in.</returns>
    /// <exception cref="BatchOptionsException">An option is invalid, or the server refused the credentials or is older than 6.2.</exception>
    /// <exception cref="RedisUnavailableException">Redis could not be reached, or stayed away longer than the outage allowance.</exception>
    public static async Task<RedisWorkerStatus> RunAsync(RedisWorkerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var url = RedisUrl.Parse(options.Redis);
        var time = options.TimeProvider;
        var environment = options.Environment ?? System.Environment.GetEnvironmentVariable;
        var redis = await RedisConnector.ConnectAsync(url, options.OutageAllowance, time, cancellationToken).ConfigureAwait(false);
        await using var disposeRedis = redis.ConfigureAwait(false);
        var db = redis.GetDatabase();
        var outage = new RedisOutage(url, options.OutageAllowance, time, options.Log);
        var workerId = RedisEngineFactory.NewWorkerId();
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        var worked = false;
        var total = new RedisWorkerStatus { WorkerId = workerId, Host = System.Environment.MachineName, ProcessId = System.Environment.ProcessId };
        options.Log?.Invoke($"worker {workerId} looking for jobs in {url.Display}.");
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var job = await FindJobAsync(db, outage, skipped, environment, options, cancellationToken).ConfigureAwait(false);
                if (job is null)
                {
                    // Once: leave when the jobs seen are done (or skipped); a worker started before any job waits for the first.
                    if (options.Once && (worked || skipped.Count > 0))
                    {
                        break;
                    }

                    await Task.Delay(options.PollInterval, time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var (spec, provider) = job.Value;
                worked = true;
                options.Log?.Invoke($"worker {workerId} joins job {spec.JobId} ({spec.Owner}, {spec.Total:N0} request(s), {Describe(spec, environment)}).");
                using var engine = RedisEngineFactory.Build(provider, spec, options.Concurrency, null, redis, environment, options.ConfigureEngine);
                using var worker = new RedisJobWorker(db, spec, engine, workerId, options.Concurrency, options.ClaimBatch, options.ShutdownGracePeriod, outage, time, options.Log);
                using var progress = options.Progress is { } report
                    ? time.CreateTimer(_ => report(worker.Status()), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))
                    : null;
                try
                {
                    await worker.RunAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is BatchAuthenticationException or BatchEndpointUnreachableException or BatchStalledException or BatchQuotaExhaustedException)
                {
                    // This worker cannot serve the job; its items go back to the others.
                    skipped.Add(spec.JobId);
                    options.Log?.Invoke($"worker {workerId} leaves job {spec.JobId}: {ex.Message}");
                }

                var status = worker.Status(left: true);
                options.Log?.Invoke($"worker {workerId} left job {spec.JobId}: {status.Done:N0} item(s) done, {status.Failed:N0} failed, {status.Duplicates:N0} answered twice, {status.Reclaimed:N0} taken over.");
                total = total with
                {
                    Done = total.Done + status.Done,
                    Failed = total.Failed + status.Failed,
                    Duplicates = total.Duplicates + status.Duplicates,
                    Reclaimed = total.Reclaimed + status.Reclaimed,
                    Errors = total.Errors + status.Errors,
                    RateLimited = total.RateLimited + status.RateLimited,
                };
                if (!worker.JobDone)
                {
                    // Stopped: do not pick another job.
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        return total with { LastSeen = time.GetUtcNow(), Left = true };
    }

    private static string Describe(RedisJobSpec spec, Func<string, string?> environment) =>
        spec.Endpoints is { } endpoints
            ? $"endpoints {string.Join(", ", endpoints.Where(e => RedisEndpoints.HasKey(e, environment)).Select(e => e.Name))} of {endpoints.Count}"
            : spec.BaseUrl is null ? "embedded model" : Providers.UrlRedaction.Redact(spec.BaseUrl);

    private static async Task<(RedisJobSpec Spec, Providers.IBatchHandler? Provider)?> FindJobAsync(
        IDatabase db, RedisOutage outage, HashSet<string> skipped, Func<string, string?> environment, RedisWorkerOptions options, CancellationToken cancellationToken)
    {
        var ids = await outage.RunAsync(() => db.SetMembersAsync(RedisJobKeys.OpenJobs), cancellationToken).ConfigureAwait(false);
        foreach (var id in ids.Select(i => (string)i!).Order(StringComparer.Ordinal))
        {
            if (skipped.Contains(id))
            {
                continue;
            }

            var keys = new RedisJobKeys(id);
            var fields = await outage.RunAsync(() => db.HashGetAsync(keys.Job, ["state", "spec"]), cancellationToken).ConfigureAwait(false);
            if (fields[0] != RedisJobState.Open || fields[1].IsNullOrEmpty)
            {
                continue;
            }

            RedisJobSpec? spec;
            try
            {
                spec = JsonSerializer.Deserialize((string)fields[1]!, RedisJson.Default.RedisJobSpec);
            }
            catch (JsonException ex)
            {
                skipped.Add(id);
                options.Log?.Invoke($"skipping job {id}: its spec cannot be read ({ex.Message}).");
                continue;
            }

            if (spec is null)
            {
                continue;
            }

            if (RedisEngineFactory.MissingKey(spec, environment) is { } missing)
            {
                skipped.Add(id);
                options.Log?.Invoke($"skipping job {id} ({spec.Owner}): {missing}.");
                continue;
            }

            if (spec.Endpoints is not null)
            {
                // Several endpoints: the engine is built over those this environment holds keys for (RedisEndpoints).
                return (spec, null);
            }

            Providers.IBatchHandler? provider;
            try
            {
                provider = options.Provider is { } factory ? factory(spec) : RedisEngineFactory.Http(spec, environment);
            }
            catch (BatchOptionsException ex)
            {
                provider = null;
                options.Log?.Invoke($"skipping job {id} ({spec.Owner}): {ex.Message}");
            }

            if (provider is null)
            {
                skipped.Add(id);
                if (options.Provider is null && spec.BaseUrl is null)
                {
                    options.Log?.Invoke($"skipping job {id} ({spec.Owner}): it runs on the embedded model, which this worker has no provider for.");
                }

                continue;
            }

            return (spec, provider);
        }

        return null;
    }
}
