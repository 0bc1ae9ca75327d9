using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using LlmBatch.Input;
using LlmBatch.Redis.Connection;
using LlmBatch.Redis.Jobs;
using LlmBatch.Redis.Queue;
using StackExchange.Redis;

namespace LlmBatch.Redis.Workers;

/// <summary>
/// One worker's part in one job: claims items from the consumer group in small groups, never more than its own free
/// capacity (so a slow worker holds back little), feeds them to an ordinary engine run, and publishes each result
/// together with its acknowledgement (<see cref="RedisScripts.Publish"/>). While alive it renews the claims it holds;
/// it takes over items whose worker stopped renewing them (XAUTOCLAIM past the lease). So a worker's death costs at
/// most the items it held: they are sent again by whoever takes them over.
/// </summary>
internal sealed class RedisJobWorker : IDisposable
{
    /// <summary>How long a released claim looks idle: past any lease, so others take the item at once.</summary>
    private const long ReleasedIdleMs = 24L * 3600 * 1000;

    private static readonly TimeSpan LongestIdlePoll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(1);

    private readonly IDatabase _db;
    private readonly RedisJobKeys _keys;
    private readonly RedisJobSpec _spec;
    private readonly IBatchEngine _engine;
    private readonly string _workerId;
    private readonly int _capacity;
    private readonly int _claimBatch;
    private readonly TimeSpan _grace;
    private readonly RedisOutage _outage;
    private readonly TimeProvider _time;
    private readonly Action<string>? _log;
    private readonly ConcurrentDictionary<string, RedisValue> _held = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _freed = new(0);
    private readonly KeyValuePair<string, object?> _workerTag;
    private readonly KeyValuePair<string, object?> _jobTag;
    private long _joined;
    private long _done;
    private long _failed;
    private long _duplicates;
    private long _reclaimed;
    private long _errors;
    private IBatchRun? _run;

    public RedisJobWorker(IDatabase db, RedisJobSpec spec, IBatchEngine engine, string workerId, int capacity, int claimBatch, TimeSpan grace, RedisOutage outage, TimeProvider time, Action<string>? log)
    {
        _db = db;
        _spec = spec;
        _keys = new RedisJobKeys(spec.JobId);
        _engine = engine;
        _workerId = workerId;
        _capacity = capacity;
        _claimBatch = claimBatch;
        _grace = grace;
        _outage = outage;
        _time = time;
        _log = log;
        _workerTag = new("worker", workerId);
        _jobTag = new("llmbatch.job", spec.JobId);
    }

    /// <inheritdoc />
    public void Dispose() => _freed.Dispose();

    /// <summary>True once the job was seen done (or gone): the worker left because there is nothing more to do.</summary>
    public bool JobDone { get; private set; }

    /// <summary>This worker's figures now.</summary>
    public RedisWorkerStatus Status(bool left = false)
    {
        var elapsed = _joined == 0 ? TimeSpan.Zero : _time.GetElapsedTime(_joined);
        var done = Interlocked.Read(ref _done);
        return new RedisWorkerStatus
        {
            WorkerId = _workerId,
            Host = Environment.MachineName,
            ProcessId = Environment.ProcessId,
            Done = done,
            Failed = Interlocked.Read(ref _failed),
            Duplicates = Interlocked.Read(ref _duplicates),
            Reclaimed = Interlocked.Read(ref _reclaimed),
            Errors = Interlocked.Read(ref _errors),
            InFlight = _held.Count,
            RateLimited = _run?.GetProgress().RateLimited ?? 0,
            RatePerSecond = elapsed > TimeSpan.Zero ? Math.Round(done / elapsed.TotalSeconds, 2) : 0,
            LastSeen = _time.GetUtcNow(),
            Left = left,
        };
    }

    /// <summary>
    /// Works on the job until it is done (returns true) or <paramref name="stop"/> is cancelled (returns false): then
    /// no more items are claimed, requests on the wire may finish for the grace period, and what is still held is
    /// released for others at once.
    /// </summary>
    /// <exception cref="RedisUnavailableException">Redis stayed away longer than the outage allowance; held items return to others after the lease.</exception>
    public async Task<bool> RunAsync(CancellationToken stop)
    {
        _joined = _time.GetTimestamp();
        await _outage.RunAsync(() => RedisScripts.CreateGroupAsync(_db, _keys.Items, RedisJobKeys.WorkersGroup), stop).ConfigureAwait(false);
        var input = Channel.CreateUnbounded<BatchRequest>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var abort = new CancellationTokenSource();
        using var background = new CancellationTokenSource();
        var run = _engine.Start(input.Reader.ReadAllAsync(CancellationToken.None), abort.Token);
        _run = run;
        await using var disposeRun = run.ConfigureAwait(false);

        // Claiming ends on a stop, and also when the run ends on its own (the job is done, or the engine gave up).
        using var claimStop = CancellationTokenSource.CreateLinkedTokenSource(stop, abort.Token);
        var claim = Task.Run(() => ClaimLoopAsync(input.Writer, run, abort, claimStop.Token), CancellationToken.None);
        var renew = Task.Run(() => RenewLoopAsync(background.Token), CancellationToken.None);
        var status = Task.Run(() => StatusLoopAsync(background.Token), CancellationToken.None);
        Exception? failure = null;
        try
        {
            await foreach (var result in run.Results.ConfigureAwait(false))
            {
                await PublishAsync(result, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // The job ended (every line is with the owner) or the grace period ran out: nothing left worth publishing.
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            input.Writer.TryComplete();
            await abort.CancelAsync().ConfigureAwait(false);
            await background.CancelAsync().ConfigureAwait(false);
        }

        failure ??= await Quietly(claim).ConfigureAwait(false);
        await Quietly(renew).ConfigureAwait(false);
        await Quietly(status).ConfigureAwait(false);
        if (!JobDone)
        {
            await ReleaseHeldAsync().ConfigureAwait(false);
        }

        await WriteStatusAsync(left: true).ConfigureAwait(false);
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        return JobDone;
    }

    private async Task ClaimLoopAsync(ChannelWriter<BatchRequest> input, IBatchRun run, CancellationTokenSource abort, CancellationToken stop)
    {
        var idlePause = TimeSpan.FromMilliseconds(5);
        var cursor = (RedisValue)"0-0";
        var lastAutoClaim = long.MinValue;
        var lastStateCheck = _time.GetTimestamp();
        var autoClaimEvery = _spec.Lease / 4;
        var recoveries = _outage.Recoveries;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var free = _capacity - _held.Count;
                if (free <= 0)
                {
                    await _freed.WaitAsync(LongestIdlePoll, stop).ConfigureAwait(false);
                    continue;
                }

                var count = Math.Min(free, _claimBatch);
                StreamEntry[] entries = [];
                var reclaimed = false;
                if (lastAutoClaim == long.MinValue || _time.GetElapsedTime(lastAutoClaim) >= autoClaimEvery)
                {
                    var claimed = await _outage.RunAsync(
                        () => _db.StreamAutoClaimAsync(_keys.Items, RedisJobKeys.WorkersGroup, _workerId, (long)_spec.Lease.TotalMilliseconds, cursor, count), stop).ConfigureAwait(false);
                    cursor = claimed.NextStartId;
                    if (cursor == "0-0")
                    {
                        lastAutoClaim = _time.GetTimestamp();
                    }

                    if (claimed.DeletedIds is { Length: > 0 } gone)
                    {
                        // Pending ids whose entry is gone (published and deleted by another worker): nothing to do.
                        await _outage.RunAsync(() => _db.StreamAcknowledgeAsync(_keys.Items, RedisJobKeys.WorkersGroup, gone), stop).ConfigureAwait(false);
                    }

                    entries = claimed.ClaimedEntries ?? [];
                    reclaimed = entries.Length > 0;
                }

                if (entries.Length == 0)
                {
                    // After an outage, first our own pending entries: a read whose answer was lost delivered them to us.
                    var position = _outage.Recoveries != recoveries ? (RedisValue)"0-0" : StreamPosition.NewMessages;
                    recoveries = _outage.Recoveries;
                    entries = await _outage.RunAsync(
                        () => _db.StreamReadGroupAsync(_keys.Items, RedisJobKeys.WorkersGroup, _workerId, position, count), stop).ConfigureAwait(false) ?? [];
                }

                if (entries.Length == 0)
                {
                    if (_time.GetElapsedTime(lastStateCheck) >= TimeSpan.FromMilliseconds(250))
                    {
                        lastStateCheck = _time.GetTimestamp();
                        var state = await _outage.RunAsync(() => _db.HashGetAsync(_keys.Job, "state"), stop).ConfigureAwait(false);
                        if (state != RedisJobState.Open)
                        {
                            // Every custom_id has its line with the owner (or the job was removed): what is still held is moot.
                            JobDone = true;
                            await abort.CancelAsync().ConfigureAwait(false);
                            return;
                        }
                    }

                    await Task.Delay(idlePause, _time, stop).ConfigureAwait(false);
                    idlePause = TimeSpan.FromTicks(Math.Min(idlePause.Ticks * 2, LongestIdlePoll.Ticks));
                    continue;
                }

                idlePause = TimeSpan.FromMilliseconds(5);
                foreach (var entry in entries)
                {
                    var request = RedisItemCodec.Decode(entry, $"redis job {_spec.JobId}", out var problem);
                    if (request is null)
                    {
                        Interlocked.Increment(ref _errors);
                        _log?.Invoke($"job {_spec.JobId}: item {entry.Id} cannot be read ({problem}); skipped.");
                        await _outage.RunAsync(() => _db.StreamAcknowledgeAsync(_keys.Items, RedisJobKeys.WorkersGroup, entry.Id), stop).ConfigureAwait(false);
                        continue;
                    }

                    if (!_held.TryAdd(request.CustomId, entry.Id))
                    {
                        // Ours already (our own lease ran out and we took it back): it is on its way.
                        continue;
                    }

                    if (reclaimed)
                    {
                        Interlocked.Increment(ref _reclaimed);
                        RedisWorkerTelemetry.Reclaimed.Add(1, _workerTag, _jobTag);
                    }

                    input.TryWrite(request);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            // The owner closed the job (its streams are gone) between two reads: every line is with it.
            JobDone = true;
            await abort.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            input.TryComplete();
            if (stop.IsCancellationRequested && !JobDone)
            {
                // Requests on the wire may finish (and be published) for the grace period; the rest is released.
                run.StopDispatch();
                _ = AbortAfterGraceAsync(abort);
            }
        }
    }

    private async Task AbortAfterGraceAsync(CancellationTokenSource abort)
    {
        try
        {
            await Task.Delay(_grace, _time).ConfigureAwait(false);
            await abort.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task PublishAsync(LlmBatch.Output.BatchResult result, CancellationToken cancellationToken)
    {
        if (!_held.TryGetValue(result.CustomId, out var entryId))
        {
            Interlocked.Increment(ref _errors);
            _log?.Invoke($"job {_spec.JobId}: a result for {result.CustomId}, which this worker does not hold; dropped.");
            return;
        }

        var line = RedisItemCodec.EncodeResult(result);
        var published = (long)await _outage.RunAsync(
            () => _db.ScriptEvaluateAsync(RedisScripts.Publish, [_keys.Items, _keys.Results, _keys.Counts], [RedisJobKeys.WorkersGroup, entryId, result.CustomId, line, _workerId, result.IsSuccess ? 0 : 1]),
            cancellationToken).ConfigureAwait(false);
        _held.TryRemove(result.CustomId, out _);
        _freed.Release();
        if (published == 1)
        {
            Interlocked.Increment(ref _done);
            if (!result.IsSuccess)
            {
                Interlocked.Increment(ref _failed);
            }

            RedisWorkerTelemetry.Items.Add(1, _workerTag, _jobTag, new("outcome", result.IsSuccess ? "succeeded" : "failed"));
        }
        else
        {
            Interlocked.Increment(ref _duplicates);
            RedisWorkerTelemetry.Items.Add(1, _workerTag, _jobTag, new("outcome", "duplicate"));
        }
    }

    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        var every = _spec.Lease / 3;
        try
        {
            while (true)
            {
                await Task.Delay(every, _time, cancellationToken).ConfigureAwait(false);
                try
                {
                    await ClaimAgainAsync(0, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (RedisOutage.IsTransient(ex) || ex is RedisServerException)
                {
                    // Renewal is best effort: the next one may land; the publish path waits out outages itself.
                    Interlocked.Increment(ref _errors);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReleaseHeldAsync()
    {
        try
        {
            await ClaimAgainAsync(ReleasedIdleMs, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisOutage.IsTransient(ex) || ex is RedisServerException)
        {
            // Not released (Redis away, or the job's streams already gone): others take them after the lease instead.
        }
    }

    private async Task ClaimAgainAsync(long idleMs, CancellationToken cancellationToken)
    {
        var ids = _held.Values.ToArray();
        if (ids.Length == 0)
        {
            return;
        }

        var args = new RedisValue[ids.Length + 3];
        args[0] = RedisJobKeys.WorkersGroup;
        args[1] = _workerId;
        args[2] = idleMs;
        ids.CopyTo(args, 3);
        cancellationToken.ThrowIfCancellationRequested();
        var lost = (long)await _db.ScriptEvaluateAsync(RedisScripts.Renew, [_keys.Items], args).ConfigureAwait(false);
        if (lost > 0 && idleMs == 0)
        {
            _log?.Invoke($"job {_spec.JobId}: {lost.ToString(CultureInfo.InvariantCulture)} item(s) this worker holds are no longer pending for it (taken over after the lease of {_spec.Lease.TotalSeconds:0} s, or published meanwhile); the first answer counts.");
        }
    }

    private async Task StatusLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await WriteStatusAsync(left: false).ConfigureAwait(false);
                await Task.Delay(StatusInterval, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WriteStatusAsync(bool left)
    {
        try
        {
            var json = JsonSerializer.Serialize(Status(left), RedisJson.Default.RedisWorkerStatus);
            await _db.HashSetAsync(_keys.Workers, _workerId, json).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisOutage.IsTransient(ex))
        {
            Interlocked.Increment(ref _errors);
        }
    }

    private static async Task<Exception?> Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
