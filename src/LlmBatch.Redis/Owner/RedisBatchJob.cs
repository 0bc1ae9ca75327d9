using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Redis.Connection;
using LlmBatch.Redis.Jobs;
using LlmBatch.Redis.Queue;
using LlmBatch.Redis.Workers;
using LlmBatch.Reporting;

namespace LlmBatch.Redis.Owner;

/// <summary>
/// Runs an input file into an output file with the work shared through Redis: the owner enqueues the validated
/// requests once, publishes the job for <see cref="RedisBatchWorker"/> processes, takes part itself, and collects every
/// result into the output with the same crash-safe writer as <see cref="BatchJob"/>: one line per custom_id, duplicates
/// dropped and counted. Killed and run again, it resumes the same job: what workers finished meanwhile is collected,
/// nothing is sent twice.
/// </summary>
public static class RedisBatchJob
{
    /// <summary>Runs the job to its end, or until <paramref name="cancellationToken"/> asks for a stop.</summary>
    /// <param name="options">The job.</param>
    /// <param name="cancellationToken">
    /// Stops the owner: its own requests on the wire may finish for the grace period, what was collected is written,
    /// and the job stays in Redis (workers go on with it); the same command resumes.
    /// </param>
    /// <returns>What the job did.</returns>
    /// <exception cref="BatchInputException">The input is invalid; nothing was sent.</exception>
    /// <exception cref="BatchOptionsException">An option is invalid, or Redis refused the credentials or is too old.</exception>
    /// <exception cref="RedisUnavailableException">Redis could not be reached, or stayed away longer than the outage allowance.</exception>
    public static async Task<RedisBatchJobResult> RunAsync(RedisBatchJobOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var job = options.Job;
        var time = job.TimeProvider;
        var validation = job.CheckedInput
            ?? await BatchInputFile.ValidateAsync(job.InputPath, job.Validation, cancellationToken).ConfigureAwait(false);
        validation.ThrowIfInvalid();

        var url = RedisUrl.Parse(options.Redis);
        var redis = await RedisConnector.ConnectAsync(url, TimeSpan.FromSeconds(10), time, cancellationToken).ConfigureAwait(false);
        await using var disposeRedis = redis.ConfigureAwait(false);
        var db = redis.GetDatabase();
        var outage = new RedisOutage(url, options.OutageAllowance, time, options.Log);
        var started = time.GetTimestamp();

        var checkpoint = await OutputCheckpoint.OpenAsync(job.OutputPath, job.RetryFailed, cancellationToken).ConfigureAwait(false);
        job.Resumed?.Invoke(checkpoint.Done);
        var jobId = RedisJobIdentity.JobId(job.InputPath, job.OutputPath);
        var keys = new RedisJobKeys(jobId);
        var spec = RedisJobSpec.From(jobId, options.Options) with
        {
            Owner = $"{Environment.MachineName}:{Path.GetFullPath(job.OutputPath)}",
            Total = validation.Requests,
            BaseUrl = options.BaseUrl?.ToString(),
            ApiKeyVariable = options.ApiKeyVariable,
            Endpoints = options.Endpoints,
            MaxResponseBytes = options.MaxResponseBytes,
            Lease = options.Lease,
        };

        // Failure lines removed for --retry-failed were acknowledged long ago: their items are owed again, so the job starts afresh.
        var directory = new RedisJobDirectory(db, outage);
        var resumed = await directory.OpenAsync(spec, job.OutputPath, fresh: checkpoint.RemovedFailures > 0, cancellationToken).ConfigureAwait(false);
        options.Log?.Invoke($"job {jobId} {(resumed ? "resumed" : "created")} in {url.Display}: {validation.Requests:N0} request(s), {checkpoint.Done:N0} already in {job.OutputPath}.");

        var expected = validation.Requests - checkpoint.Done;
        var summary = new RunSummaryBuilder();
        var collector = new RedisResultCollector(db, keys, outage, time, options.Log);
        using var stopWork = new CancellationTokenSource();
        RedisJobWorker? own = null;
        IBatchEngine? engine = null;
        Task<bool>? ownTask = null;
        var completed = false;
        try
        {
            var writer = BatchOutputWriter.Open(job.OutputPath, time);
            await using (writer.ConfigureAwait(false))
            {
                var enqueue = Task.Run(() => new RedisEnqueuer(db, keys, outage).EnqueueAsync(
                    BatchInputFile.ReadValidatedAsync(job.InputPath, job.Validation.MaxLineBytes, CancellationToken.None), checkpoint, cancellationToken), CancellationToken.None);
                var environment = options.Environment ?? Environment.GetEnvironmentVariable;
                var noKey = spec.Endpoints is null ? null : RedisEngineFactory.MissingKey(spec, environment);
                if (noKey is not null)
                {
                    options.Log?.Invoke($"this process does not take part in job {jobId} ({noKey}); workers do the work.");
                }

                if ((spec.Endpoints is null ? options.Provider is not null : noKey is null) && expected > 0)
                {
                    engine = RedisEngineFactory.Build(options.Provider, spec, options.Concurrency, options.Options.Concurrency, redis, environment, options.ConfigureEngine);
                    var workerId = RedisEngineFactory.NewWorkerId();
                    own = new RedisJobWorker(db, spec, engine, workerId, options.Concurrency, options.ClaimBatch, job.ShutdownGracePeriod, outage, time, options.Log);
                    ownTask = Task.Run(() => own.RunAsync(stopWork.Token), CancellationToken.None);
                }

                using var progress = options.Progress is { } report
                    ? time.CreateTimer(_ => _ = ReportAsync(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))
                    : null;

                try
                {
                    var collect = collector.CollectAsync(writer, checkpoint, summary, expected, cancellationToken);

                    // The enqueue and the owner's own worker run beside the collection: a failure of either (Redis lost,
                    // the key refused) ends the job at once rather than leaving the owner waiting for lines.
                    var beside = new List<Task> { enqueue };
                    if (ownTask is not null)
                    {
                        beside.Add(ownTask);
                    }

                    while (!collect.IsCompleted)
                    {
                        var first = await Task.WhenAny([collect, .. beside]).ConfigureAwait(false);
                        if (first != collect)
                        {
                            beside.Remove(first);
                            if (first.IsFaulted)
                            {
                                await first.ConfigureAwait(false);
                            }
                        }
                    }

                    await collect.ConfigureAwait(false);
                    await enqueue.ConfigureAwait(false);
                    completed = true;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // A stop: what was collected is written; the job stays in Redis for the rerun (and the workers).
                }
                catch (StackExchange.Redis.RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
                {
                    // Redis came back without the job (restarted with no persistence, or flushed): the rerun enqueues what is missing.
                    throw new RedisUnavailableException(
                        $"the job's queue is gone from Redis at {url.Display} (restarted without persistence, or flushed); every result written so far is kept in {job.OutputPath}, and the same command enqueues what is missing.",
                        beforeStart: false,
                        ex);
                }

                async Task ReportAsync()
                {
                    try
                    {
                        report(await SnapshotAsync().ConfigureAwait(false));
                    }
                    catch (Exception ex) when (RedisOutage.IsTransient(ex) || ex is RedisUnavailableException or OperationCanceledException)
                    {
                    }
                }
            }

            if (completed)
            {
                await directory.CloseAsync(keys, job.OutputPath, options.DoneRetention, CancellationToken.None).ConfigureAwait(false);
                if (job.PreserveOrder)
                {
                    await OutputOrderer.SortByInputAsync(job.OutputPath, job.InputPath, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            await stopWork.CancelAsync().ConfigureAwait(false);
            if (ownTask is not null)
            {
                try
                {
                    await ownTask.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Its failure, if it mattered, ended the job above (or the stop did); its items return to others after the lease.
                }
            }

            own?.Dispose();
            engine?.Dispose();
        }

        var final = await SnapshotAsync().ConfigureAwait(false);
        var workers = final.Workers;
        long workerDuplicates = 0;
        long reclaimed = 0;
        foreach (var w in workers)
        {
            workerDuplicates += w.Duplicates;
            reclaimed += w.Reclaimed;
        }

        var elapsed = time.GetElapsedTime(started);
        var local = engine is null ? null : final.Local;
        var remaining = expected - collector.Written;
        var built = summary.Build(elapsed) with
        {
            RequestsPerMinuteLimit = local?.RequestsPerMinuteLimit,
            TokensPerMinuteLimit = local?.TokensPerMinuteLimit,
        };
        return new RedisBatchJobResult
        {
            JobId = jobId,
            Job = new BatchJobResult
            {
                Summary = built,
                Validation = validation,
                Skipped = checkpoint.Done,
                Requeued = checkpoint.RemovedFailures,
                RepairedBytes = checkpoint.RepairedBytes,
                Remaining = remaining,
                Interrupted = remaining > 0,
                FailedInOutput = checkpoint.Failed + built.Failed,
            },
            Duplicates = collector.Duplicates + workerDuplicates,
            Reclaimed = reclaimed,
            Workers = workers,
            Completed = completed,
        };

        async Task<RedisJobProgress> SnapshotAsync()
        {
            IReadOnlyList<RedisWorkerStatus> workers;
            try
            {
                workers = await directory.WorkersAsync(keys, CancellationToken.None).ConfigureAwait(false);
            }
            catch (RedisUnavailableException)
            {
                workers = own is null ? [] : [own.Status()];
            }

            long duplicates = collector.Duplicates;
            foreach (var w in workers)
            {
                duplicates += w.Duplicates;
            }

            return new RedisJobProgress
            {
                JobId = jobId,
                Elapsed = time.GetElapsedTime(started),
                Total = validation.Requests,
                Resumed = checkpoint.Done,
                Written = collector.Written,
                Failed = collector.Failed,
                Duplicates = duplicates,
                Workers = workers,
                Local = engine?.GetProgress(),
            };
        }
    }
}
