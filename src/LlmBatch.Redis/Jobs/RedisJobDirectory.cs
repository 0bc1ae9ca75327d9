using System.Text.Json;
using LlmBatch.Redis.Connection;
using LlmBatch.Redis.Workers;
using StackExchange.Redis;

namespace LlmBatch.Redis.Jobs;

/// <summary>
/// The owner's bookkeeping of jobs in Redis: opening a job (fresh, or resuming the one the same command left),
/// retiring a job of the same output whose input changed, reading the workers' figures, and closing a finished job.
/// </summary>
internal sealed class RedisJobDirectory
{
    private readonly IDatabase _db;
    private readonly RedisOutage _outage;

    public RedisJobDirectory(IDatabase db, RedisOutage outage)
    {
        _db = db;
        _outage = outage;
    }

    /// <summary>
    /// Opens the job: publishes the spec, creates both consumer groups and lists the job for workers. Returns true when
    /// an earlier run of the same command had already created it (this run resumes it).
    /// </summary>
    public async Task<bool> OpenAsync(RedisJobSpec spec, string outputPath, bool fresh, CancellationToken cancellationToken)
    {
        var keys = new RedisJobKeys(spec.JobId);
        var slot = RedisJobIdentity.OwnerSlot(outputPath);
        var previous = (string?)await _outage.RunAsync(() => _db.StringGetAsync(slot), cancellationToken).ConfigureAwait(false);
        if (previous is not null && previous != spec.JobId)
        {
            // The same output with another input: that job's items no longer match the input; retire it.
            await RemoveAsync(new RedisJobKeys(previous), cancellationToken).ConfigureAwait(false);
        }

        var state = (string?)await _outage.RunAsync(() => _db.HashGetAsync(keys.Job, "state"), cancellationToken).ConfigureAwait(false);
        if (state == RedisJobState.Done || fresh)
        {
            await RemoveAsync(keys, cancellationToken).ConfigureAwait(false);
            state = null;
        }

        var json = JsonSerializer.Serialize(spec, RedisJson.Default.RedisJobSpec);
        await _outage.RunAsync(async () =>
        {
            await RedisScripts.CreateGroupAsync(_db, keys.Items, RedisJobKeys.WorkersGroup).ConfigureAwait(false);
            await RedisScripts.CreateGroupAsync(_db, keys.Results, RedisJobKeys.OwnerGroup).ConfigureAwait(false);
            var transaction = _db.CreateTransaction();
            _ = transaction.HashSetAsync(keys.Job, [new("spec", json), new("state", RedisJobState.Open)]);
            _ = transaction.KeyPersistAsync(keys.Job);
            _ = transaction.KeyPersistAsync(keys.Workers);
            _ = transaction.KeyPersistAsync(keys.Counts);
            _ = transaction.StringSetAsync(slot, spec.JobId);
            _ = transaction.SetAddAsync(RedisJobKeys.OpenJobs, spec.JobId);
            await transaction.ExecuteAsync().ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return state is not null;
    }

    /// <summary>Every worker's last figures in the job.</summary>
    public async Task<IReadOnlyList<RedisWorkerStatus>> WorkersAsync(RedisJobKeys keys, CancellationToken cancellationToken)
    {
        var entries = await _outage.RunAsync(() => _db.HashGetAllAsync(keys.Workers), cancellationToken).ConfigureAwait(false);
        var counts = (await _outage.RunAsync(() => _db.HashGetAllAsync(keys.Counts), cancellationToken).ConfigureAwait(false))
            .ToDictionary(e => (string)e.Name!, e => (long)e.Value, StringComparer.Ordinal);
        var workers = new List<RedisWorkerStatus>(entries.Length);
        foreach (var entry in entries)
        {
            try
            {
                if (JsonSerializer.Deserialize((string)entry.Value!, RedisJson.Default.RedisWorkerStatus) is { } status)
                {
                    // The status is written once a second; the counts move with each publish, so they win.
                    workers.Add(status with
                    {
                        Done = counts.GetValueOrDefault(status.WorkerId + ":done", status.Done),
                        Failed = counts.GetValueOrDefault(status.WorkerId + ":failed", status.Failed),
                        Duplicates = counts.GetValueOrDefault(status.WorkerId + ":dup", status.Duplicates),
                    });
                }
            }
            catch (JsonException)
            {
            }
        }

        workers.Sort((a, b) => string.CompareOrdinal(a.WorkerId, b.WorkerId));
        return workers;
    }

    /// <summary>
    /// Closes a finished job: workers see it done and leave; its streams go at once, its hash and worker figures after
    /// <paramref name="retention"/>.
    /// </summary>
    public Task CloseAsync(RedisJobKeys keys, string outputPath, TimeSpan retention, CancellationToken cancellationToken) =>
        _outage.RunAsync(async () =>
        {
            var transaction = _db.CreateTransaction();
            _ = transaction.HashSetAsync(keys.Job, "state", RedisJobState.Done);
            _ = transaction.SetRemoveAsync(RedisJobKeys.OpenJobs, keys.JobId);
            _ = transaction.KeyDeleteAsync([keys.Items, keys.Results]);
            _ = transaction.KeyExpireAsync(keys.Job, retention);
            _ = transaction.KeyExpireAsync(keys.Workers, retention);
            _ = transaction.KeyExpireAsync(keys.Counts, retention);
            _ = transaction.KeyDeleteAsync(RedisJobIdentity.OwnerSlot(outputPath));
            await transaction.ExecuteAsync().ConfigureAwait(false);
        }, cancellationToken);

    private Task RemoveAsync(RedisJobKeys keys, CancellationToken cancellationToken) =>
        _outage.RunAsync(async () =>
        {
            var transaction = _db.CreateTransaction();
            _ = transaction.SetRemoveAsync(RedisJobKeys.OpenJobs, keys.JobId);
            _ = transaction.KeyDeleteAsync(keys.All);
            await transaction.ExecuteAsync().ConfigureAwait(false);
        }, cancellationToken);
}
