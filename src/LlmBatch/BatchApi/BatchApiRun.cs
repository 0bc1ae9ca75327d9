using System.Globalization;
using System.Security.Cryptography;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.RateLimiting;

namespace LlmBatch.BatchApi;

/// <summary>
/// One run of a <see cref="BatchApiJob"/>. Everything the provider is asked to make is recorded in the state file
/// before it is asked (phase <see cref="ChunkPhase.Uploading"/>, <see cref="ChunkPhase.Creating"/>), and its id right
/// after; a run that finds such a phase left by a killed one first looks on the provider for what may have been made.
/// Items leave a chunk only as lines in the output: a chunk is <see cref="ChunkPhase.Done"/> once its batch's lines are
/// merged and handed to the OS, and its members without a line are pending again.
/// </summary>
internal sealed class BatchApiRun : IDisposable
{
    private const int MaxCreateRefusals = 5;

    private readonly BatchApiJobOptions _options;
    private readonly TimeProvider _time;
    private readonly BatchApiClient? _batchApi;
    private readonly string _statePath;
    private readonly string _workDirectory;
    private readonly long _started;
    private readonly CustomIdSet _written = new();
    private readonly HashSet<int> _mayExist = [];
    private readonly Dictionary<int, int> _createRefusals = [];
    private readonly Dictionary<int, DateTimeOffset> _notBefore = [];
    private readonly Lock _publish = new();
    private BatchJobState _state = null!;
    private BatchValidationReport _check = null!;
    private OutputCheckpoint _checkpoint = null!;
    private EnqueuedTokenBudget _budget = null!;
    private BatchOutputWriter? _writer;
    private long _queued;
    private long _batchSucceeded;
    private long _batchFailed;
    private long _resumed;
    private volatile IBatchEngine? _onlineRunning;
    private volatile BatchApiProgress _progress = new();
    private BatchPlan? _plan;
    private bool _resumedDeadline;
    private string _phase = "starting";
    private readonly Queue<string> _events = new();
    private int _eventCount;

    public BatchApiRun(BatchApiJobOptions options)
    {
        _options = options;
        _time = options.TimeProvider;
        _batchApi = options.BaseUrl is null ? null : new BatchApiClient(options.BaseUrl, options.ApiKey, options.HttpClient, _time, options.RetryBaseDelay);
        _statePath = BatchStateFile.PathFor(options.OutputPath);
        _workDirectory = BatchStateFile.WorkDirectoryFor(options.OutputPath);
        _started = _time.GetTimestamp();
    }

    public string StatePath => _statePath;

    private BatchApiClient Client => _batchApi ?? throw new BatchOptionsException(["BaseUrl is required to reach the Batch API."]);

    public BatchApiProgress Progress()
    {
        var snapshot = _progress;
        return snapshot with { Elapsed = _time.GetElapsedTime(_started), Online = _onlineRunning?.GetProgress() };
    }

    /// <summary>The plan for what is left, without sending anything or writing any file.</summary>
    public async Task<BatchPlan> PlanAsync(CancellationToken cancellationToken)
    {
        await OpenAsync(create: false, cancellationToken).ConfigureAwait(false);
        var members = await ActiveMembersAsync(cancellationToken).ConfigureAwait(false);
        var load = await CensusAsync(members, cancellationToken).ConfigureAwait(false);
        if (_options.Mode == BatchApiMode.Batch)
        {
            // What already runs in batches is part of the job's plan too.
            load = [.. load, .. ActiveLoad()];
        }

        return Plan(load);
    }

    public async Task<BatchApiJobResult> RunAsync(CancellationToken cancellationToken)
    {
        if (_options.OnlineEngine is null && (_options.Mode != BatchApiMode.Batch || _options.Fallback == BatchFallback.Online))
        {
            throw new BatchOptionsException([$"OnlineEngine is required to run mode {_options.Mode}{(_options.Fallback == BatchFallback.Online ? " with the online fallback" : "")}."]);
        }

        if (_options.Mode == BatchApiMode.Online)
        {
            return await RunOnlyOnlineAsync(cancellationToken).ConfigureAwait(false);
        }

        using var stateLock = OutputFileLock.Acquire(_statePath, createMissing: false);
        await OpenAsync(create: true, cancellationToken).ConfigureAwait(false);
        TidyWorkDirectory();
        BatchJobResult? online = null;
        BatchPlan? plan = null;
        try
        {
            var members = await ActiveMembersAsync(cancellationToken).ConfigureAwait(false);
            if (_options.Mode == BatchApiMode.Auto)
            {
                var load = await CensusAsync(members, cancellationToken).ConfigureAwait(false);
                plan = Plan(load);
                if (plan.BatchRequests > 0 && ActiveChunks().Count == 0 && !await Client.SupportsBatchesAsync(cancellationToken).ConfigureAwait(false))
                {
                    // vLLM, Ollama and the like have no Batch API: the whole job goes online, late rather than never.
                    plan = Plan(load, BatchPlanChoice.Online) with { Reason = $"online: {_options.BaseUrl} has no Batch API (GET …/batches answered 404), so everything goes online" };
                }

                if (plan.BatchRequests > 0)
                {
                    await SplitPendingAsync(members, plan.OnlineRequests, submissions: 1, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                if (ActiveChunks().Count == 0)
                {
                    if (!await Client.SupportsBatchesAsync(cancellationToken).ConfigureAwait(false))
                    {
                        throw new BatchOptionsException([$"{_options.BaseUrl} has no Batch API (GET …/batches answered 404): use --mode online, or a provider that has one (OpenAI, Azure OpenAI with a global-batch deployment)."]);
                    }

                    await SplitPendingAsync(members, 0, NextSubmissions(), cancellationToken).ConfigureAwait(false);
                }

                plan = Plan(ActiveLoad());
            }

            _plan = plan;
            Publish();
            await SubmitAsync(cancellationToken).ConfigureAwait(false);
            if (_options.Mode == BatchApiMode.Auto && plan.OnlineRequests > 0 && !cancellationToken.IsCancellationRequested)
            {
                online = await RunOnlineAsync(await ActiveMembersAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            }

            await PollAsync(cancellationToken).ConfigureAwait(false);
            if (_options.Fallback == BatchFallback.Online && !cancellationToken.IsCancellationRequested && ActiveChunks().Count == 0)
            {
                await CloseWriterAsync().ConfigureAwait(false);
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
            await CloseWriterAsync().ConfigureAwait(false);
        }

        if (!cancellationToken.IsCancellationRequested)
        {
            // After a stop, quick is better than tidy: the next run deletes what is left to delete.
            await CleanUpAsync().ConfigureAwait(false);
        }

        var final = await OutputCheckpoint.OpenAsync(_options.OutputPath, retryFailed: false, CancellationToken.None).ConfigureAwait(false);
        var remaining = Math.Max(0, _check.Requests - final.Done);
        SetPhase(remaining == 0 ? "finished" : "stopped");
        return new BatchApiJobResult
        {
            Plan = plan ?? Plan([]),
            BatchSucceeded = _batchSucceeded,
            BatchFailed = _batchFailed,
            Online = online,
            Skipped = _resumed,
            Remaining = remaining,
            Interrupted = remaining > 0,
            FailedInOutput = final.Failed,
            Chunks = _progress.Chunks,
            StatePath = _statePath,
        };
    }

    private async Task<BatchApiJobResult> RunOnlyOnlineAsync(CancellationToken cancellationToken)
    {
        await OpenAsync(create: false, cancellationToken).ConfigureAwait(false);
        var plan = Plan(await CensusAsync(new CustomIdSet(), cancellationToken).ConfigureAwait(false));
        _plan = plan;
        var online = await RunOnlineAsync(new CustomIdSet(), cancellationToken).ConfigureAwait(false);
        SetPhase(online.Interrupted ? "stopped" : "finished");
        return new BatchApiJobResult
        {
            Plan = plan,
            Online = online,
            Skipped = online.Skipped,
            Remaining = online.Remaining,
            Interrupted = online.Interrupted,
            FailedInOutput = online.FailedInOutput,
            StatePath = _statePath,
        };
    }

    /// <summary>The job's batches as the provider sees them now, without changing anything.</summary>
    public async Task<IReadOnlyList<BatchApiChunkProgress>> ListAsync(bool cancel, CancellationToken cancellationToken)
    {
        using var stateLock = cancel ? OutputFileLock.Acquire(_statePath, createMissing: false) : null;
        _state = await BatchStateFile.LoadAsync(_statePath, cancellationToken).ConfigureAwait(false) ?? new BatchJobState();
        foreach (var chunk in _state.Chunks)
        {
            if (chunk.BatchIds.Count == 0 || (chunk.Phase == ChunkPhase.Done && BatchStatusMap.IsTerminal(chunk.Status)))
            {
                continue;
            }

            var batch = await Client.GetBatchAsync(chunk.BatchIds[^1], cancellationToken).ConfigureAwait(false);
            if (cancel && chunk.Phase == ChunkPhase.Submitted && batch.Status is BatchApiStatus.Validating or BatchApiStatus.InProgress)
            {
                batch = await Client.CancelBatchAsync(batch.Id, cancellationToken).ConfigureAwait(false);
            }

            Update(chunk, batch);
        }

        if (cancel && _state.Chunks.Count > 0)
        {
            await SaveAsync().ConfigureAwait(false);
        }

        Publish();
        return _progress.Chunks;
    }

    public void Dispose() => _batchApi?.Dispose();

    private async Task OpenAsync(bool create, CancellationToken cancellationToken)
    {
        _options.Validate();
        _check = _options.CheckedInput ?? await BatchInputFile.ValidateAsync(_options.InputPath, _options.Validation, cancellationToken).ConfigureAwait(false);
        _check.ThrowIfInvalid();
        var baseUrl = _options.BaseUrl?.GetLeftPart(UriPartial.Path) ?? "";
        var state = await BatchStateFile.LoadAsync(_statePath, cancellationToken).ConfigureAwait(false);
        if (state is not null && _options.Mode != BatchApiMode.Online && state.Chunks.Any(c => c.Phase != ChunkPhase.Done) && !string.Equals(state.BaseUrl, baseUrl, StringComparison.OrdinalIgnoreCase))
        {
            throw new BatchOptionsException([$"The batches of {_options.OutputPath} run on {state.BaseUrl}, not on {baseUrl}: run with that base URL, or cancel them first (`llmbatch batches cancel`)."]);
        }

        _state = state ?? new BatchJobState
        {
            JobId = "lb" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)),
            Input = Path.GetFullPath(_options.InputPath),
            BaseUrl = baseUrl,
            StartedAt = _time.GetUtcNow(),
            DeadlineAt = _options.Deadline is { } d ? _time.GetUtcNow() + d : null,
        };
        _state.BaseUrl = baseUrl;
        _resumedDeadline = state?.DeadlineAt is not null;
        if (create && state is not null && _options.Deadline is { } deadline && _state.DeadlineAt is null)
        {
            _state.DeadlineAt = _time.GetUtcNow() + deadline;
        }

        foreach (var chunk in _state.Chunks.Where(c => c.Phase is ChunkPhase.Uploading or ChunkPhase.Creating))
        {
            // A killed run may have made these on the provider without recording them.
            _mayExist.Add(chunk.Index);
        }

        _budget = new EnqueuedTokenBudget(_state.TokenCeilings, _options.EnqueuedTokenLimit);
        // Only a run removes failure lines; a plan reads the file as it is.
        _checkpoint = await OutputCheckpoint.OpenAsync(_options.OutputPath, create && _options.RetryFailed, cancellationToken).ConfigureAwait(false);
        _resumed = _checkpoint.Done;
        _options.Resumed?.Invoke(_checkpoint.Done);
        Publish();
    }

    private BatchPlan Plan(IReadOnlyList<BatchModelLoad> load, BatchPlanChoice? forced = null)
    {
        // A first run plans with the whole deadline; a rerun with what is left of the first run's.
        TimeSpan? deadline = _resumedDeadline && _state.DeadlineAt is { } at ? Max(at - _time.GetUtcNow(), TimeSpan.Zero) : _options.Deadline;
        return BatchPlanner.Plan(new BatchPlanInput
        {
            Load = load,
            Limits = _options.OnlineLimits ?? new OnlineLimits { Source = "not given" },
            Deadline = deadline,
            Cost = _options.Cost,
            Forced = forced ?? _options.Mode switch
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
            var completion = request.Endpoint == BatchEndpointKind.Embeddings ? 0 : request.MaxOutputTokens ?? _options.DefaultMaxOutputTokens;
            byModel[request.Model] = (sum.Requests + 1, sum.Prompt + TokenCounter.Shared.CountPromptTokens(request), sum.Completion + completion);
        }

        return byModel.Select(p => new BatchModelLoad(p.Key, p.Value.Requests, p.Value.Prompt, p.Value.Completion)).ToList();
    }

    private List<BatchModelLoad> ActiveLoad() => ActiveChunks()
        .GroupBy(c => c.Model, StringComparer.Ordinal)
        .Select(g => new BatchModelLoad(g.Key, g.Sum(c => (long)c.Requests), g.Sum(c => c.PromptTokens), g.Sum(c => c.CompletionTokens)))
        .ToList();

    // The input's requests with no final line, not in a running chunk, after skipping the first `skip` of them.
    private async IAsyncEnumerable<BatchRequest> PendingAsync(CustomIdSet exclude, long skip, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var request in BatchInputFile.ReadValidatedAsync(_options.InputPath, _options.Validation.MaxLineBytes, cancellationToken).ConfigureAwait(false))
        {
            var hash = CustomIdHash.Key(request.CustomId);
            if (_checkpoint.IsDone(hash) || _written.Contains(hash) || exclude.Contains(hash))
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

    private async Task SplitPendingAsync(CustomIdSet exclude, long skip, int submissions, CancellationToken cancellationToken)
    {
        SetPhase("splitting the input into batch files");
        var chunks = await Splitter().SplitAsync(PendingAsync(exclude, skip, cancellationToken), NextIndex(), submissions, cancellationToken).ConfigureAwait(false);
        if (chunks.Count == 0)
        {
            return;
        }

        _state.Chunks.AddRange(chunks);
        await SaveAsync().ConfigureAwait(false);
        Event(string.Create(CultureInfo.InvariantCulture, $"{chunks.Sum(c => c.Requests):N0} requests in {chunks.Count} batch file(s){(submissions > 1 ? $", submission {submissions}" : "")}"));
    }

    private BatchSplitter Splitter(int? maxRequests = null) => new(
        _workDirectory,
        Client.Urls,
        new BatchFileLimits(maxRequests ?? _options.MaxRequestsPerFile, _options.MaxBytesPerFile, _options.MaxEmbeddingInputsPerFile),
        _state.JobId,
        _options.DefaultMaxOutputTokens);

    private int NextIndex() => _state.Chunks.Count == 0 ? 1 : _state.Chunks.Max(c => c.Index) + 1;

    // Items of a new round have been submitted once more than the most-submitted chunk before them.
    private int NextSubmissions() => _state.Chunks.Count == 0 ? 1 : _state.Chunks.Max(c => c.Submissions) + 1;

    private List<BatchChunkState> ActiveChunks() => _state.Chunks.Where(c => c.Phase != ChunkPhase.Done).ToList();

    private async Task<CustomIdSet> ActiveMembersAsync(CancellationToken cancellationToken)
    {
        var members = new CustomIdSet();
        foreach (var chunk in ActiveChunks())
        {
            await ChunkMembers.ReadAsync(ChunkMembers.PathFor(ChunkPath(chunk)), (hash, _) => members.Add(hash), cancellationToken).ConfigureAwait(false);
        }

        return members;
    }

    private string ChunkPath(BatchChunkState chunk) => Path.Combine(_workDirectory, chunk.File);

    private async Task<BatchJobResult> RunOnlineAsync(CustomIdSet exclude, CancellationToken cancellationToken)
    {
        SetPhase("sending online");
        var engine = _options.OnlineEngine!;
        _onlineRunning = engine;
        try
        {
            return await BatchJob.RunAsync(engine, new BatchJobOptions
            {
                InputPath = _options.InputPath,
                OutputPath = _options.OutputPath,
                CheckedInput = _check,
                Validation = _options.Validation,
                ShutdownGracePeriod = _options.ShutdownGracePeriod,
                TimeProvider = _time,
                Include = r => !exclude.Contains(CustomIdHash.Key(r.CustomId)),
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _onlineRunning = null;
            _checkpoint = await OutputCheckpoint.OpenAsync(_options.OutputPath, retryFailed: false, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        var schedule = new PollSchedule(_options.PollInterval, _options.MaxPollInterval);
        while (!cancellationToken.IsCancellationRequested)
        {
            if (ActiveChunks().Count == 0)
            {
                if (_options.Fallback == BatchFallback.Online)
                {
                    return;
                }

                // The round has ended: what is still without a line goes into a new one.
                var before = _state.Chunks.Count;
                await SplitPendingAsync(new CustomIdSet(), 0, NextSubmissions(), cancellationToken).ConfigureAwait(false);
                if (_state.Chunks.Count == before)
                {
                    return;
                }
            }

            await SubmitAsync(cancellationToken).ConfigureAwait(false);
            var changed = await PollOnceAsync(cancellationToken).ConfigureAwait(false);
            var running = _state.Chunks.Count(c => c.Phase == ChunkPhase.Submitted);
            SetPhase(string.Create(CultureInfo.InvariantCulture, $"waiting for {running} batch(es)"));
            if (ActiveChunks().Count == 0)
            {
                continue;
            }

            try
            {
                await Task.Delay(schedule.Next(changed), _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SubmitAsync(CancellationToken cancellationToken)
    {
        foreach (var chunk in _state.Chunks.Where(c => c.Phase is ChunkPhase.Ready or ChunkPhase.Uploading or ChunkPhase.Uploaded or ChunkPhase.Creating).ToList())
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            if (!_notBefore.TryGetValue(chunk.Index, out var notBefore) || _time.GetUtcNow() >= notBefore)
            {
                await AdvanceAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // Takes a chunk as far towards a running batch as it may go now: upload, then create.
    private async Task AdvanceAsync(BatchChunkState chunk, CancellationToken cancellationToken)
    {
        if (chunk.Phase is ChunkPhase.Ready or ChunkPhase.Uploaded && chunk.Requests > 1 && _budget.TooBig(chunk.PromptTokens))
        {
            await HalveAsync(chunk, $"its {chunk.PromptTokens:N0} prompt tokens pass the enqueued-token limit on their own", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (chunk.Phase == ChunkPhase.Ready)
        {
            chunk.Phase = ChunkPhase.Uploading;
            await SaveAsync().ConfigureAwait(false);
        }

        if (chunk.Phase == ChunkPhase.Uploading)
        {
            SetPhase(string.Create(CultureInfo.InvariantCulture, $"uploading batch file {chunk.Index} ({chunk.Requests:N0} requests, {chunk.Bytes / 1e6:0.#} MB)"));
            ProviderFile? file = null;
            try
            {
                if (_mayExist.Contains(chunk.Index))
                {
                    file = await Client.FindFileAsync(chunk.UploadName, chunk.Bytes, cancellationToken).ConfigureAwait(false);
                }

                file ??= await Client.UploadAsync(ChunkPath(chunk), chunk.UploadName, cancellationToken).ConfigureAwait(false);
            }
            catch (BatchApiException ex) when (ex.Ambiguous)
            {
                _mayExist.Add(chunk.Index);
                Event($"upload of batch file {chunk.Index} unanswered ({ex.Message}); checking again next round");
                return;
            }

            _mayExist.Remove(chunk.Index);
            chunk.FileId = file.Id;
            chunk.Phase = ChunkPhase.Uploaded;
            await SaveAsync().ConfigureAwait(false);
        }

        if (chunk.Phase == ChunkPhase.Uploaded)
        {
            var ours = Enqueued(chunk.Model, except: chunk);
            if (!_budget.Allows(chunk.Model, ours, chunk.PromptTokens))
            {
                chunk.Problem = string.Create(CultureInfo.InvariantCulture, $"waits for room: {ours:N0} enqueued + {chunk.PromptTokens:N0} would pass the learned limit of {_budget.Ceiling(chunk.Model):N0} tokens");
                Publish();
                return;
            }

            chunk.Phase = ChunkPhase.Creating;
            chunk.EnqueuedAtCreation = ours;

            // Clocks differ: a batch made by a lost creation may carry a time a little before ours.
            chunk.CreatingSince = _time.GetUtcNow() - TimeSpan.FromMinutes(10);
            await SaveAsync().ConfigureAwait(false);
        }

        if (chunk.Phase == ChunkPhase.Creating)
        {
            await CreateAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CreateAsync(BatchChunkState chunk, CancellationToken cancellationToken)
    {
        SetPhase(string.Create(CultureInfo.InvariantCulture, $"creating the batch of file {chunk.Index}"));
        BatchApiBatch? batch = null;
        try
        {
            if (_mayExist.Contains(chunk.Index))
            {
                batch = await Client.FindBatchAsync(chunk.FileId!, chunk.BatchIds, chunk.CreatingSince ?? _state.StartedAt, cancellationToken).ConfigureAwait(false);
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["llmbatch_job"] = _state.JobId,
                ["llmbatch_chunk"] = chunk.Index.ToString(CultureInfo.InvariantCulture),
                ["llmbatch_output"] = Truncate(Path.GetFileName(_options.OutputPath), 500),
            };
            batch ??= await Client.CreateBatchAsync(chunk.FileId!, Client.Urls.Endpoint(chunk.Kind), metadata, cancellationToken).ConfigureAwait(false);
        }
        catch (BatchApiException ex) when (ex.Code == BatchStatusMap.TokenLimitExceeded)
        {
            // Some servers refuse at creation instead of failing the batch at validation.
            await RefusedForRoomAsync(chunk, ex.Message, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (BatchApiException ex) when (ex.Ambiguous)
        {
            _mayExist.Add(chunk.Index);
            Event($"creation of the batch of file {chunk.Index} unanswered ({ex.Message}); checking again next round");
            return;
        }
        catch (BatchApiException ex) when (ex.StatusCode is 400 or 404 && (_createRefusals[chunk.Index] = _createRefusals.GetValueOrDefault(chunk.Index) + 1) < MaxCreateRefusals)
        {
            // A file just uploaded is not always visible to the batches service at once.
            Event($"creation of the batch of file {chunk.Index} refused ({ex.Message}); trying again next round");
            return;
        }

        _mayExist.Remove(chunk.Index);
        _createRefusals.Remove(chunk.Index);
        chunk.BatchIds.Add(batch.Id);
        chunk.Problem = null;
        chunk.Phase = ChunkPhase.Submitted;
        Update(chunk, batch);
        await SaveAsync().ConfigureAwait(false);
        Event(string.Create(CultureInfo.InvariantCulture, $"batch {batch.Id} created for file {chunk.Index} ({chunk.Requests:N0} requests)"));
    }

    private async Task<bool> PollOnceAsync(CancellationToken cancellationToken)
    {
        var changed = false;
        foreach (var chunk in _state.Chunks.Where(c => c.Phase == ChunkPhase.Submitted).ToList())
        {
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            BatchApiBatch batch;
            try
            {
                batch = await Client.GetBatchAsync(chunk.BatchIds[^1], cancellationToken).ConfigureAwait(false);
            }
            catch (BatchApiException ex) when (ex.Ambiguous)
            {
                Event($"status of {chunk.BatchIds[^1]} unanswered ({ex.Message}); asking again later");
                continue;
            }

            if (Update(chunk, batch))
            {
                changed = true;
                Publish();
            }

            switch (BatchStatusMap.Step(batch))
            {
                case BatchStep.WaitForRoom:
                    await RefusedForRoomAsync(chunk, string.Join("; ", batch.Errors.Select(e => e.Message)), cancellationToken).ConfigureAwait(false);
                    changed = true;
                    break;
                case BatchStep.Recreate:
                    changed = true;
                    chunk.Problem = string.Join("; ", batch.Errors.Select(e => $"{e.Code}: {e.Message}"));
                    if (chunk.Submissions < _options.MaxSubmissions)
                    {
                        chunk.Submissions++;
                        chunk.Phase = ChunkPhase.Uploaded;
                        await SaveAsync().ConfigureAwait(false);
                        Event($"batch {batch.Id} failed ({chunk.Problem}); creating it again on the same file");
                    }
                    else
                    {
                        await MergeAsync(chunk, batch, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case BatchStep.Merge:
                    changed = true;
                    await MergeAsync(chunk, batch, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    break;
            }
        }

        if (changed)
        {
            // Statuses and counts too, so that the state file (and `llmbatch batches list`) tells where each batch was last seen.
            await SaveAsync().ConfigureAwait(false);
        }

        return changed;
    }

    private async Task RefusedForRoomAsync(BatchChunkState chunk, string message, CancellationToken cancellationToken)
    {
        _budget.Refused(chunk.Model, chunk.EnqueuedAtCreation, chunk.PromptTokens);
        chunk.Problem = "token_limit_exceeded: " + message;
        if (chunk.EnqueuedAtCreation == 0 && Enqueued(chunk.Model, except: chunk) == 0)
        {
            if (chunk.Requests > 1)
            {
                await HalveAsync(chunk, "it was refused for the enqueued-token limit with nothing else of this job enqueued", cancellationToken).ConfigureAwait(false);
                return;
            }

            // One request alone is refused: others' batches fill the queue. Try again later.
            _notBefore[chunk.Index] = _time.GetUtcNow() + _options.MaxPollInterval;
        }

        chunk.Phase = ChunkPhase.Uploaded;
        await SaveAsync().ConfigureAwait(false);
        Event($"batch {chunk.BatchIds[^1]} refused for the enqueued-token limit; file {chunk.Index} waits until running batches leave room");
    }

    // Splits a chunk in two new ones (its upload is given up) when it cannot fit the enqueued-token limit alone.
    private async Task HalveAsync(BatchChunkState chunk, string why, CancellationToken cancellationToken)
    {
        var lines = new Dictionary<UInt128, long>(chunk.Requests);
        await ChunkMembers.ReadAsync(ChunkMembers.PathFor(ChunkPath(chunk)), (hash, line) => lines[hash] = line, cancellationToken).ConfigureAwait(false);
        var halves = await Splitter((chunk.Requests + 1) / 2).SplitAsync(Members(chunk, lines, cancellationToken), NextIndex(), chunk.Submissions, cancellationToken).ConfigureAwait(false);
        chunk.Phase = ChunkPhase.Done;
        chunk.Problem = "split in two: " + why;
        if (chunk.FileId is not null)
        {
            _state.Cleanup.Add(chunk.FileId);
        }

        _state.Chunks.AddRange(halves);
        await SaveAsync().ConfigureAwait(false);
        DeleteLocal(chunk);
        Event(string.Create(CultureInfo.InvariantCulture, $"batch file {chunk.Index} split into {string.Join(" and ", halves.Select(h => h.Index))}: {why}"));
    }

    private async IAsyncEnumerable<BatchRequest> Members(BatchChunkState chunk, Dictionary<UInt128, long> lines, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var request in BatchInputFile.ReadValidatedAsync(ChunkPath(chunk), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            // Lines of a chunk file carry the chunk's own line numbers; members keep their input line.
            var line = lines.GetValueOrDefault(CustomIdHash.Key(request.CustomId));
            yield return new BatchRequest(request.CustomId, request.Endpoint, request.Url, request.Body, request.Model, request.MaxOutputTokens, line);
        }
    }

    private async Task MergeAsync(BatchChunkState chunk, BatchApiBatch batch, CancellationToken cancellationToken)
    {
        SetPhase($"downloading the results of {batch.Id}");
        _writer ??= BatchOutputWriter.Open(_options.OutputPath, _time);
        var last = _options.Fallback == BatchFallback.Resubmit && chunk.Submissions >= _options.MaxSubmissions;
        var writer = _writer;
        var writerFailed = false;
        var merger = new BatchResultMerger(Client, async (result, ct) =>
        {
            _queued++;
            try
            {
                await writer.WriteAsync(result, ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The output cannot be written (disk full, I/O error): no retry helps, the run stops with it.
                writerFailed = true;
                throw;
            }
        }, _checkpoint, _written, _time);
        MergeOutcome outcome;
        try
        {
            outcome = await merger.MergeAsync(chunk, batch, ChunkPath(chunk), last, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !writerFailed && ex is BatchApiException { Ambiguous: true } or IOException or HttpRequestException)
        {
            Event($"download of the results of {batch.Id} broke off ({ex.Message}); trying again next round");
            return;
        }

        _batchSucceeded += outcome.Succeeded;
        _batchFailed += outcome.Failed;
        if (outcome.Leftover == chunk.Requests && _options.Fallback == BatchFallback.Resubmit && chunk.Submissions < _options.MaxSubmissions)
        {
            // Nothing of it ran: a new batch on the same file, rather than the same file uploaded again.
            chunk.Submissions++;
            chunk.Phase = ChunkPhase.Uploaded;
            await SaveAsync().ConfigureAwait(false);
            Event($"batch {batch.Id} ended {BatchStatusMap.Wire(batch.Status)} with nothing run; creating it again on the same file");
            return;
        }

        // Lines reach the OS before the state says so: a kill -9 after this point keeps them.
        await _writer.WaitForLinesAsync(_queued, CancellationToken.None).ConfigureAwait(false);
        chunk.Phase = ChunkPhase.Done;
        chunk.EndedAt ??= _time.GetUtcNow();
        foreach (var id in new[] { chunk.FileId, batch.OutputFileId, batch.ErrorFileId })
        {
            if (id is not null)
            {
                _state.Cleanup.Add(id);
            }
        }

        await SaveAsync().ConfigureAwait(false);
        DeleteLocal(chunk);
        var next = outcome.Leftover == 0 ? "" : _options.Fallback == BatchFallback.Online
            ? string.Create(CultureInfo.InvariantCulture, $"; {outcome.Leftover:N0} without an answer go online")
            : string.Create(CultureInfo.InvariantCulture, $"; {outcome.Leftover:N0} without an answer go into a new batch");
        Event(string.Create(CultureInfo.InvariantCulture, $"batch {batch.Id} {BatchStatusMap.Wire(batch.Status)}: {outcome.Succeeded:N0} succeeded, {outcome.Failed:N0} failed{next}"));
    }

    // Our own prompt tokens of a model in batches being created or running.
    private long Enqueued(string model, BatchChunkState except) => _state.Chunks
        .Where(c => c != except && c.Model == model && (c.Phase == ChunkPhase.Creating || (c.Phase == ChunkPhase.Submitted && !BatchStatusMap.IsTerminal(c.Status))))
        .Sum(c => c.PromptTokens);

    private static bool Update(BatchChunkState chunk, BatchApiBatch batch)
    {
        var changed = chunk.Status != batch.Status || chunk.Completed != batch.Completed || chunk.Failed != batch.Failed;
        chunk.Status = batch.Status;
        chunk.Completed = batch.Completed;
        chunk.Failed = batch.Failed;
        chunk.CreatedAt = batch.CreatedAt ?? chunk.CreatedAt;
        chunk.InProgressAt = batch.InProgressAt ?? chunk.InProgressAt;
        chunk.EndedAt = batch.EndedAt ?? chunk.EndedAt;
        return changed;
    }

    private async Task CloseWriterAsync()
    {
        if (_writer is { } writer)
        {
            _writer = null;
            _queued = 0;
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Provider files whose lines are in the output, now on disk (the writer was disposed, which forces it there).
    private async Task CleanUpAsync()
    {
        if (_options.DeleteProviderFiles && _state.Cleanup.Count > 0)
        {
            foreach (var id in _state.Cleanup.ToList())
            {
                try
                {
                    await Client.DeleteFileAsync(id, CancellationToken.None).ConfigureAwait(false);
                    _state.Cleanup.Remove(id);
                }
                catch (BatchApiException)
                {
                    // Kept in the list: the next run tries again.
                }
            }

            await SaveAsync().ConfigureAwait(false);
        }

        if (ActiveChunks().Count == 0 && Directory.Exists(_workDirectory) && !Directory.EnumerateFileSystemEntries(_workDirectory).Any())
        {
            Directory.Delete(_workDirectory);
        }
    }

    // A run killed between recording a chunk done and deleting its files, or half-way through a split, leaves files no
    // running chunk owns: they go, so that the folder disappears once the job is done.
    private void TidyWorkDirectory()
    {
        if (!Directory.Exists(_workDirectory))
        {
            return;
        }

        var owned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in ActiveChunks())
        {
            owned.Add(chunk.File);
            owned.Add(Path.GetFileName(ChunkMembers.PathFor(chunk.File)));
        }

        foreach (var file in Directory.EnumerateFiles(_workDirectory))
        {
            if (!owned.Contains(Path.GetFileName(file)))
            {
                File.Delete(file);
            }
        }
    }

    private void DeleteLocal(BatchChunkState chunk)
    {
        var path = ChunkPath(chunk);
        File.Delete(path);
        File.Delete(ChunkMembers.PathFor(path));
    }

    private async Task SaveAsync()
    {
        // Never cancelled half-way: the state on disk is whole, old or new.
        await BatchStateFile.SaveAsync(_statePath, _state, CancellationToken.None).ConfigureAwait(false);
        Publish();
    }

    private void SetPhase(string phase)
    {
        _phase = phase;
        Publish();
    }

    private void Event(string message)
    {
        lock (_publish)
        {
            _events.Enqueue(message);
            if (_events.Count > 20)
            {
                _events.Dequeue();
            }

            _eventCount++;
        }

        Publish();
    }

    private void Publish()
    {
        lock (_publish)
        {
            var now = _time.GetUtcNow();
            var chunks = _state?.Chunks.Select(c => Describe(c, now)).ToList() ?? [];
            var etas = chunks.Where(c => c.Phase != "done" && c.Eta is not null).Select(c => c.Eta!.Value).ToList();
            _progress = new BatchApiProgress
            {
                Phase = _phase,
                Plan = _plan,
                Total = _check?.Requests ?? 0,
                Resumed = _resumed,
                Succeeded = _batchSucceeded,
                Failed = _batchFailed,
                Chunks = chunks,
                Eta = etas.Count > 0 ? etas.Max() : null,
                RecentEvents = [.. _events],
                EventCount = _eventCount,
            };
        }
    }

    private static BatchApiChunkProgress Describe(BatchChunkState c, DateTimeOffset now)
    {
        TimeSpan? eta = null;
        var answered = c.Completed + c.Failed;
        if (c.Phase == ChunkPhase.Submitted && c.Status == BatchApiStatus.InProgress && c.InProgressAt is { } started && answered > 0 && now > started)
        {
            eta = (now - started) * ((double)(c.Requests - answered) / answered);
        }

        return new BatchApiChunkProgress
        {
            Index = c.Index,
            Model = c.Model,
            Requests = c.Requests,
            Phase = c.Phase.ToString().ToLowerInvariant(),
            BatchId = c.BatchIds.Count > 0 ? c.BatchIds[^1] : null,
            Status = c.Status,
            Completed = c.Completed,
            Failed = c.Failed,
            Eta = eta,
            Note = c.Problem,
        };
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];

}
