using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Redis.Connection;
using LlmBatch.Redis.Jobs;
using StackExchange.Redis;

namespace LlmBatch.Redis.Queue;

/// <summary>
/// Puts the validated requests of the input into the job's item stream once. Entries carry explicit ids from their
/// line numbers and each batch is added together with the job's <c>enqueued</c> position (one transaction), so an
/// owner killed mid-enqueue resumes after the last batch that landed and adds nothing twice. Requests whose line is
/// already in the output are not enqueued.
/// </summary>
internal sealed class RedisEnqueuer
{
    private const int BatchSize = 256;

    private readonly IDatabase _db;
    private readonly RedisJobKeys _keys;
    private readonly RedisOutage _outage;

    public RedisEnqueuer(IDatabase db, RedisJobKeys keys, RedisOutage outage)
    {
        _db = db;
        _keys = keys;
        _outage = outage;
    }

    /// <summary>Enqueues what is owed after the stored position; returns how many entries this call added.</summary>
    public async Task<long> EnqueueAsync(IAsyncEnumerable<BatchRequest> requests, OutputCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        var position = (long?)await _outage.RunAsync(() => _db.HashGetAsync(_keys.Job, "enqueued"), cancellationToken).ConfigureAwait(false) ?? 0;
        var batch = new List<BatchRequest>(BatchSize);
        long added = 0;
        long last = position;
        await foreach (var request in requests.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (request.LineNumber <= position)
            {
                continue;
            }

            last = request.LineNumber;
            if (checkpoint.IsDone(request.CustomId))
            {
                continue;
            }

            batch.Add(request);
            if (batch.Count == BatchSize)
            {
                added += await AddAsync(batch, last, cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
        }

        if (batch.Count > 0 || last > position)
        {
            added += await AddAsync(batch, last, cancellationToken).ConfigureAwait(false);
        }

        return added;
    }

    private async Task<long> AddAsync(List<BatchRequest> batch, long through, CancellationToken cancellationToken)
    {
        var entries = new (long Line, RedisValue Id, NameValueEntry[] Fields)[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            entries[i] = (batch[i].LineNumber, RedisItemCodec.EntryId(batch[i].LineNumber), RedisItemCodec.Encode(batch[i]));
        }

        await _outage.RunAsync(async () =>
        {
            // A retry after a lost answer may find the batch already in: the position says so, and nothing is added twice.
            var stored = (long?)await _db.HashGetAsync(_keys.Job, "enqueued").ConfigureAwait(false) ?? 0;
            if (stored >= through)
            {
                return;
            }

            var transaction = _db.CreateTransaction();
            foreach (var (line, id, fields) in entries)
            {
                if (line > stored)
                {
                    _ = transaction.StreamAddAsync(_keys.Items, fields, id);
                }
            }

            _ = transaction.HashSetAsync(_keys.Job, "enqueued", through);
            await transaction.ExecuteAsync().ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return batch.Count;
    }
}
