using System.Globalization;
using System.Security.Cryptography;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.RateLimiting;

namespace LlmBatch.BatchApi;

/// <summary>
/// One run of a <see cref="BatchApiJob"/>: opens the input, the output and the state file, plans what is left, splits it
/// into chunk files and hands them to the steps, each in its own type: <see cref="ChunkSubmitter"/> (upload and create),
/// <see cref="BatchPoller"/> (the rounds of status polls), <see cref="ChunkResultDownloader"/> (results into the output),
/// and the online engine for what goes online. Everything the provider is asked to make is recorded in the state file
/// before it is asked and its id right after; a run that finds such a step left by a killed one first looks on the
/// provider for what may have been made.
/// </summary>
internal sealed class BatchApiRun : IDisposable
{
    private readonly BatchRunContext _run;
    private readonly ChunkResultDownloader _downloader;
    private readonly long _started;
    private BatchValidationReport _check = null!;
    private ChunkSubmitter _submitter = null!;
    private volatile IBatchEngine? _onlineRunning;
    private bool _resumedDeadline;

    public BatchApiRun(BatchApiJobOptions options)
    {
        _run = new BatchRunContext(options);
        _downloader = new ChunkResultDownloader(_run);
        _started = _run.Time.GetTimestamp();
    }

    public string StatePath => _run.StatePath;

    private BatchApiJobOptions Options => _run.Options;

    public BatchApiProgress Progress()
    {
        var snapshot = _run.Progress.Current;
        return snapshot with { Elapsed = _run.Time.GetElapsedTime(_started), Online = _onlineRunning?.GetProgress() };
    }

    /// <summary>The plan for what is left, without sending anything or writing any file.</summary>
    public async Task<BatchPlan> PlanAsync(CancellationToken cancellationToken)
    {
        await OpenAsync(create: false, cancellationToken).ConfigureAwait(false);
        var members = await _run.ActiveMembersAsync(cancellationToken).ConfigureAwait(false);
        var load = await CensusAsync(members, cancellationToken).ConfigureAwait(false);
        if (Options.Mode == BatchApiMode.Batch)
        {
            // What already runs in batches is part of the job's plan too.
            load = [.. load, .. _run.ActiveLoad()];
        }

        return Plan(load);
    }

    public async Task<BatchApiJobResult> RunAsync(CancellationToken cancellationToken)
    {
        if (Options.OnlineEngine is null && (Options.Mode != BatchApiMode.Batch || Options.Fallback == BatchFallback.Online))
        {
            throw new BatchOptionsException([$"OnlineEngine is required to run mode {Options.Mode}{(Options.Fallback == BatchFallback.Online ? " with the online fallback" : "")}."]);
        }

        if (Options.Mode == BatchApiMode.Online)
        {
            return await RunOnlyOnlineAsync(cancellationToken).ConfigureAwait(false);
        }

        using var stateLock = OutputFileLock.Acquire(_run.StatePath, createMissing: false);
        await OpenAsync(create: true, cancellationToken).ConfigureAwait(false);
        _run.TidyWorkDirectory();
        BatchJobResult? online = null;
        BatchPlan? plan = null;
        try
        {
            var members = await _run.ActiveMembersAsync(cancellationToken).ConfigureAwait(false);
            if (Options.Mode == BatchApiMode.Auto)
            {
                var load = await CensusAsync(members, cancellationToken).ConfigureAwait(false);
                plan = Plan(load);
                if (plan.BatchRequests > 0 && _run.ActiveChunks().Count == 0 && !await _run.Client.SupportsBatchesAsync(cancellationToken).ConfigureAwait(false))
                {
                    // vLLM, Ollama and the like have no Batch API: the whole job goes online, late rather than never.
                    plan = Plan(load, BatchPlanChoice.Online) with { Reason = $"online: {Options.BaseUrl} has no Batch API (GET …/batches answered 404), so everything goes online" };
                }

                if (plan.BatchRequests > 0)
                {
                    await SplitPendingAsync(members, plan.OnlineRequests, submissions: 1, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                if (_run.ActiveChunks().Count == 0)
                {
                    if (!await _run.Client.SupportsBatchesAsync(cancellationToken).ConfigureAwait(false))
                    {
                        throw new BatchOptionsException([$"{Options.BaseUrl} has no Batch API (GET …/batches answered 404): use --mode online, or a provider that has one (OpenAI, Azure OpenAI with a global-batch deployment)."]);
                    }

                    await SplitPendingAsync(members, 0, _run.NextSubmissions(), cancellationToken).ConfigureAwait(false);
                }

                plan = Plan(_run.ActiveLoad());
            }

            _run.Progress.Plan = plan;
            _run.Progress.Publish();
            await _submitter.SubmitAsync(cancellationToken).ConfigureAwait(false);
            if (Options.Mode == BatchApiMode.Auto && plan.OnlineRequests > 0 && !cancellationToken.IsCancellationRequested)
            {
                online = await RunOnlineAsync(await _run.ActiveMembersAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            }

            await new BatchPoller(_run, _submitter, _downloader, ct => SplitPendingAsync(new CustomIdSet(), 0, _run.NextSubmissions(), ct)).PollAsync(cancellationToken).ConfigureAwait(false);
            if (Options.Fallback == BatchFallback.Online && !cancellationToken.IsCancellationRequested && _run.ActiveChunks().Count == 0)
            {
                await _downloader.CloseWriterAsync().ConfigureAwait(false);
                var fallback = await RunOnlineAsync(new CustomIdSet(), cancellationToken).ConfigureAwait(false);
                online = online is null || fallback.Summary.Total > 0 ? fallback : online;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: every step so far is in the state file; batches keep running on the provider.
        }
        finally
        {
            await _downloader.CloseWriterAsync().ConfigureAwait(false);
        }

        if (!cancellationToken.IsCancellationRequested)
        {
            // After a stop, quick is better than tidy: the next run deletes what is left to delete.
            await _run.CleanUpAsync().ConfigureAwait(false);
        }

        var final = await OutputCheckpoint.OpenAsync(Options.OutputPath, retryFailed: false, CancellationToken.None).ConfigureAwait(false);
        var remaining = Math.Max(0, _check.Requests - final.Done);
        _run.Progress.SetPhase(remaining == 0 ? "finished" : "stopped");
        return new BatchApiJobResult
        {
            Plan = plan ?? Plan([]),
            BatchSucceeded = _run.Progress.Succeeded,
            BatchFailed = _run.Progress.Failed,
            Online = online,
            Skipped = _run.Progress.Resumed,
            Remaining = remaining,
            Interrupted = remaining > 0,
            FailedInOutput = final.Failed,
            Chunks = _run.Progress.Current.Chunks,
            StatePath = _run.StatePath,
        };
    }

    private async Task<BatchApiJobResult> RunOnlyOnlineAsync(CancellationToken cancellationToken)
    {
        await OpenAsync(create: false, cancellationToken).ConfigureAwait(false);
        var plan = Plan(await CensusAsync(new CustomIdSet(), cancellationToken).ConfigureAwait(false));
        _run.Progress.Plan = plan;
        var online = await RunOnlineAsync(new CustomIdSet(), cancellationToken).ConfigureAwait(false);
        _run.Progress.SetPhase(online.Interrupted ? "stopped" : "finished");
        return new BatchApiJobResult
        {
            Plan = plan,
            Online = online,
            Skipped = online.Skipped,
            Remaining = online.Remaining,
            Interrupted = online.Interrupted,
            FailedInOutput = online.FailedInOutput,
            StatePath = _run.StatePath,
        };
    }

    /// <summary>The job's batches as the provider sees them now, without changing anything.</summary>
    public async Task<IReadOnlyList<BatchApiChunkProgress>> ListAsync(bool cancel, CancellationToken cancellationToken)
    {
        using var stateLock = cancel ? OutputFileLock.Acquire(_run.StatePath, createMissing: false) : null;
        _run.State = await BatchStateFile.LoadAsync(_run.StatePath, cancellationToken).ConfigureAwait(false) ?? new BatchJobState();
        foreach (var chunk in _run.State.Chunks)
        {
            if (chunk.BatchIds.Count == 0 || (chunk.Phase == ChunkPhase.Done && BatchStatusMap.IsTerminal(chunk.Status)))
            {
                continue;
            }

            var batch = await _run.Client.GetBatchAsync(chunk.BatchIds[^1], cancellationToken).ConfigureAwait(false);
            if (cancel && chunk.Phase == ChunkPhase.Submitted && batch.Status is BatchApiStatus.Validating or BatchApiStatus.InProgress)
            {
                batch = await _run.Client.CancelBatchAsync(batch.Id, cancellationToken).ConfigureAwait(false);
            }

            BatchRunContext.Update(chunk, batch);
        }

        if (cancel && _run.State.Chunks.Count > 0)
        {
            await _run.SaveAsync().ConfigureAwait(false);
        }

        _run.Progress.Publish();
        return _run.Progress.Current.Chunks;
    }

    public void Dispose() => _run.Dispose();

    private async Task OpenAsync(bool create, CancellationToken cancellationToken)
    {
        Options.Validate();
        _check = Options.CheckedInput ?? await BatchInputFile.ValidateAsync(Options.InputPath, Options.Validation, cancellationToken).ConfigureAwait(false);
        _check.ThrowIfInvalid();
        var baseUrl = Options.BaseUrl?.GetLeftPart(UriPartial.Path) ?? "";
        var state = await BatchStateFile.LoadAsync(_run.StatePath, cancellationToken).ConfigureAwait(false);
        if (state is not null && Options.Mode != BatchApiMode.Online && state.Chunks.Any(c => c.Phase != ChunkPhase.Done) && !string.Equals(state.BaseUrl, baseUrl, StringComparison.OrdinalIgnoreCase))
        {
            throw new BatchOptionsException([$"The batches of {Options.OutputPath} run on {state.BaseUrl}, not on {baseUrl}: run with that base URL, or cancel them first (`llmbatch batches cancel`)."]);
        }

        _run.State = state ?? new BatchJobState
        {
            JobId = "lb" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)),
            Input = Path.GetFullPath(Options.InputPath),
            BaseUrl = baseUrl,
            StartedAt = _run.Time.GetUtcNow(),
            DeadlineAt = Options.Deadline is { } d ? _run.Time.GetUtcNow() + d : null,
        };
        _run.State.BaseUrl = baseUrl;
        _resumedDeadline = state?.DeadlineAt is not null;
        if (create && state is not null && Options.Deadline is { } deadline && _run.State.DeadlineAt is null)
        {
            _run.State.DeadlineAt = _run.Time.GetUtcNow() + deadline;
        }

        // A killed run may have made these on the provider without recording them.
        var mayExist = _run.State.Chunks.Where(c => c.Phase is ChunkPhase.Uploading or ChunkPhase.Creating).Select(c => c.Index).ToList();
        _submitter = new ChunkSubmitter(_run, new EnqueuedTokenBudget(_run.State.TokenCeilings, Options.EnqueuedTokenLimit), mayExist);
        // Only a run removes failure lines; a plan reads the file as it is.
        _run.Checkpoint = await OutputCheckpoint.OpenAsync(Options.OutputPath, create && Options.RetryFailed, cancellationToken).ConfigureAwait(false);
        _run.Progress.Total = _check.Requests;
        _run.Progress.Resumed = _run.Checkpoint.Done;
        Options.Resumed?.Invoke(_run.Checkpoint.Done);
        _run.Progress.Publish();
    }

    private BatchPlan Plan(IReadOnlyList<BatchModelLoad> load, BatchPlanChoice? forced = null)
    {
        // A first run plans with the whole deadline; a rerun with what is left of the first run's.
        TimeSpan? deadline = _resumedDeadline && _run.State.DeadlineAt is { } at ? Max(at - _run.Time.GetUtcNow(), TimeSpan.Zero) : Options.Deadline;
        return BatchPlanner.Plan(new BatchPlanInput
        {
            Load = load,
            Limits = Options.OnlineLimits ?? new OnlineLimits { Source = "not given" },
            Deadline = deadline,
            Cost = Options.Cost,
            Forced = forced ?? Options.Mode switch
            {
                BatchApiMode.Batch => BatchPlanChoice.Batch,
                BatchApiMode.Online => BatchPlanChoice.Online,
                _ => null,
            },
        });
    }

    // Requests not yet answered and not in a running chunk, per model, with their tokens.
    private async Task<List<BatchModelLoad>> CensusAsync(CustomIdSet exclude, CancellationToken cancellationToken)
    {
        var byModel = new Dictionary<string, (long Requests, long Prompt, long Completion)>(StringComparer.Ordinal);
        await foreach (var request in PendingAsync(exclude, 0, cancellationToken).ConfigureAwait(false))
        {
            byModel.TryGetValue(request.Model, out var sum);
            var completion = request.Endpoint == BatchEndpointKind.Embeddings ? 0 : request.MaxOutputTokens ?? Options.DefaultMaxOutputTokens;
            byModel[request.Model] = (sum.Requests + 1, sum.Prompt + TokenCounter.Shared.CountPromptTokens(request), sum.Completion + completion);
        }

        return byModel.Select(p => new BatchModelLoad(p.Key, p.Value.Requests, p.Value.Prompt, p.Value.Completion)).ToList();
    }

    // The input's requests with no final line, not in a running chunk, after skipping the first `skip` of them.
    private async IAsyncEnumerable<BatchRequest> PendingAsync(CustomIdSet exclude, long skip, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var request in BatchInputFile.ReadValidatedAsync(Options.InputPath, Options.Validation.MaxLineBytes, cancellationToken).ConfigureAwait(false))
        {
            var hash = CustomIdHash.Key(request.CustomId);
            if (_run.Checkpoint.IsDone(hash) || _run.Written.Contains(hash) || exclude.Contains(hash))
            {
                continue;
            }

            if (skip > 0)
            {
                skip--;
                continue;
            }

            yield return request;
        }
    }

    // Puts the pending requests into new chunk files; false when there were none.
    private async Task<bool> SplitPendingAsync(CustomIdSet exclude, long skip, int submissions, CancellationToken cancellationToken)
    {
        _run.Progress.SetPhase("splitting the input into batch files");
        var chunks = await _run.Splitter().SplitAsync(PendingAsync(exclude, skip, cancellationToken), _run.NextIndex(), submissions, cancellationToken).ConfigureAwait(false);
        if (chunks.Count == 0)
        {
            return false;
        }

        _run.State.Chunks.AddRange(chunks);
        await _run.SaveAsync().ConfigureAwait(false);
        _run.Progress.Event(string.Create(CultureInfo.InvariantCulture, $"{chunks.Sum(c => c.Requests):N0} requests in {chunks.Count} batch file(s){(submissions > 1 ? $", submission {submissions}" : "")}"));
        return true;
    }

    private async Task<BatchJobResult> RunOnlineAsync(CustomIdSet exclude, CancellationToken cancellationToken)
    {
        _run.Progress.SetPhase("sending online");
        var engine = Options.OnlineEngine!;
        _onlineRunning = engine;
        try
        {
            return await BatchJob.RunAsync(engine, new BatchJobOptions
            {
                InputPath = Options.InputPath,
                OutputPath = Options.OutputPath,
                CheckedInput = _check,
                Validation = Options.Validation,
                ShutdownGracePeriod = Options.ShutdownGracePeriod,
                TimeProvider = _run.Time,
                Include = r => !exclude.Contains(CustomIdHash.Key(r.CustomId)),
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _onlineRunning = null;
            _run.Checkpoint = await OutputCheckpoint.OpenAsync(Options.OutputPath, retryFailed: false, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
