using LlmBatch.Output;
using LlmBatch.Redis.Connection;
using LlmBatch.Redis.Jobs;
using LlmBatch.Redis.Queue;
using LlmBatch.Reporting;
using StackExchange.Redis;

namespace LlmBatch.Redis.Owner;

/// <summary>
/// The owner's side of the results stream: reads results through its own consumer group, writes each custom_id's
/// line once with the crash-safe output writer, and acknowledges (and deletes) results only once their lines have
/// been handed to the OS, so an owner killed at any point loses nothing: its rerun reads what it had not
/// acknowledged again, and a line the output already holds is not written twice.
/// </summary>
internal sealed class RedisResultCollector
{
    private const int ReadCount = 512;

    private readonly IDatabase _db;
    private readonly RedisJobKeys _keys;
    private readonly RedisOutage _outage;
    private readonly TimeProvider _time;
    private readonly Action<string>? _log;
    private readonly CustomIdSet _written = new();
    private long _lines;
    private long _failed;
    private long _duplicates;
    private long _invalid;

    public RedisResultCollector(IDatabase db, RedisJobKeys keys, RedisOutage outage, TimeProvider time, Action<string>? log)
    {
        _db = db;
        _keys = keys;
        _outage = outage;
        _time = time;
        _log = log;
    }

    /// <summary>Lines written in this run.</summary>
    public long Written => Interlocked.Read(ref _lines);

    /// <summary>Of <see cref="Written"/>, failure lines.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Results dropped because their custom_id already had its line.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Entries that were not valid result lines (never written).</summary>
    public long Invalid => Interlocked.Read(ref _invalid);

    /// <summary>Collects until <paramref name="expected"/> lines have been written, or <paramref name="stop"/> is cancelled.</summary>
    public async Task CollectAsync(BatchOutputWriter writer, OutputCheckpoint checkpoint, RunSummaryBuilder summary, long expected, CancellationToken stop)
    {
        await _outage.RunAsync(() => Workers.RedisScripts.CreateGroupAsync(_db, _keys.Results, RedisJobKeys.OwnerGroup), stop).ConfigureAwait(false);

        // First what this consumer read before and never acknowledged (its previous life was killed), then new results.
        var position = (RedisValue)"0-0";
        var pause = TimeSpan.FromMilliseconds(2);
        var recoveries = _outage.Recoveries;
        long queued = 0;
        while (Written < expected)
        {
            if (_outage.Recoveries != recoveries)
            {
                // A read answered while the connection died delivered entries we never saw: they are ours, pending.
                recoveries = _outage.Recoveries;
                position = "0-0";
            }

            var entries = await _outage.RunAsync(
                () => _db.StreamReadGroupAsync(_keys.Results, RedisJobKeys.OwnerGroup, RedisJobKeys.OwnerGroup, position, ReadCount), stop).ConfigureAwait(false) ?? [];
            if (entries.Length == 0)
            {
                if (position != StreamPosition.NewMessages)
                {
                    position = StreamPosition.NewMessages;
                    continue;
                }

                await Task.Delay(pause, _time, stop).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromMilliseconds(100).Ticks));
                continue;
            }

            pause = TimeSpan.FromMilliseconds(2);
            var redelivered = position != StreamPosition.NewMessages;
            var ids = new RedisValue[entries.Length];
            for (var i = 0; i < entries.Length; i++)
            {
                var entry = entries[i];
                ids[i] = entry.Id;
                var result = RedisItemCodec.DecodeResult(entry, out var problem);
                if (result is null)
                {
                    Interlocked.Increment(ref _invalid);
                    _log?.Invoke($"job {_keys.JobId}: result {entry.Id} is not a valid output line ({problem}); dropped, its item is sent again by a rerun.");
                    continue;
                }

                var key = CustomIdHash.Key(result.CustomId);
                if (checkpoint.IsDone(key) || _written.Contains(key))
                {
                    // Read again after our own crash or an outage, its line already written: not a duplicate answer.
                    if (!redelivered)
                    {
                        Interlocked.Increment(ref _duplicates);
                    }

                    continue;
                }

                _written.Add(key);

                await writer.WriteAsync(result, CancellationToken.None).ConfigureAwait(false);
                summary.Add(result);
                queued++;
                if (!result.IsSuccess)
                {
                    Interlocked.Increment(ref _failed);
                }
            }

            // Acknowledge only what the OS holds: a kill -9 from here on loses nothing (the rerun reads it again).
            await writer.WaitForLinesAsync(queued, CancellationToken.None).ConfigureAwait(false);
            Interlocked.Exchange(ref _lines, queued);
            if (redelivered)
            {
                position = ids[^1];
            }

            await _outage.RunAsync(async () =>
            {
                var transaction = _db.CreateTransaction();
                _ = transaction.StreamAcknowledgeAsync(_keys.Results, RedisJobKeys.OwnerGroup, ids);
                _ = transaction.StreamDeleteAsync(_keys.Results, ids);
                await transaction.ExecuteAsync().ConfigureAwait(false);
            }, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
