using LlmBatch.Output;

namespace LlmBatch.BatchApi;

/// <summary>
/// What the steps of one <see cref="BatchApiRun"/> share: the options, the provider, the state file and the work
/// directory of the chunk files, the output's checkpoint and the progress. Every change of a chunk goes to the state file
/// through <see cref="SaveAsync"/> before the step that depends on it, so that a killed run resumes from the file alone.
/// </summary>
internal sealed class BatchRunContext : IDisposable
{
    private readonly BatchApiClient? _client;

    public BatchRunContext(BatchApiJobOptions options)
    {
        Options = options;
        Time = options.TimeProvider;
        _client = options.BaseUrl is null ? null : new BatchApiClient(options.BaseUrl, options.ApiKey, options.HttpClient, Time, options.RetryBaseDelay);
        StatePath = BatchStateFile.PathFor(options.OutputPath);
        WorkDirectory = BatchStateFile.WorkDirectoryFor(options.OutputPath);
        Progress = new BatchRunProgress(Time, () => State);
    }

    public BatchApiJobOptions Options { get; }

    public TimeProvider Time { get; }

    public string StatePath { get; }

    /// <summary>The folder of the chunk files and their member lists.</summary>
    public string WorkDirectory { get; }

    public BatchRunProgress Progress { get; }

    public BatchApiClient Client => _client ?? throw new BatchOptionsException(["BaseUrl is required to reach the Batch API."]);

    public BatchJobState State { get; set; } = null!;

    /// <summary>The output's final lines as of the last time it was read.</summary>
    public OutputCheckpoint Checkpoint { get; set; } = null!;

    /// <summary>Custom ids this run has written to the output from batches.</summary>
    public CustomIdSet Written { get; } = new();

    public async Task SaveAsync()
    {
        // Never cancelled half-way: the state on disk is whole, old or new.
        await BatchStateFile.SaveAsync(StatePath, State, CancellationToken.None).ConfigureAwait(false);
        Progress.Publish();
    }

    public string ChunkPath(BatchChunkState chunk) => Path.Combine(WorkDirectory, chunk.File);

    public List<BatchChunkState> ActiveChunks() => State.Chunks.Where(c => c.Phase != ChunkPhase.Done).ToList();

    public int NextIndex() => State.Chunks.Count == 0 ? 1 : State.Chunks.Max(c => c.Index) + 1;

    // Items of a new round have been submitted once more than the most-submitted chunk before them.
    public int NextSubmissions() => State.Chunks.Count == 0 ? 1 : State.Chunks.Max(c => c.Submissions) + 1;

    public BatchSplitter Splitter(int? maxRequests = null) => new(
        WorkDirectory,
        Client.Urls,
        new BatchFileLimits(maxRequests ?? Options.MaxRequestsPerFile, Options.MaxBytesPerFile, Options.MaxEmbeddingInputsPerFile),
        State.JobId,
        Options.DefaultMaxOutputTokens);

    public async Task<CustomIdSet> ActiveMembersAsync(CancellationToken cancellationToken)
    {
        var members = new CustomIdSet();
        foreach (var chunk in ActiveChunks())
        {
            await ChunkMembers.ReadAsync(ChunkMembers.PathFor(ChunkPath(chunk)), (hash, _) => members.Add(hash), cancellationToken).ConfigureAwait(false);
        }

        return members;
    }

    public List<BatchModelLoad> ActiveLoad() => ActiveChunks()
        .GroupBy(c => c.Model, StringComparer.Ordinal)
        .Select(g => new BatchModelLoad(g.Key, g.Sum(c => (long)c.Requests), g.Sum(c => c.PromptTokens), g.Sum(c => c.CompletionTokens)))
        .ToList();

    // Our own prompt tokens of a model in batches being created or running.
    public long Enqueued(string model, BatchChunkState except) => State.Chunks
        .Where(c => c != except && c.Model == model && (c.Phase == ChunkPhase.Creating || (c.Phase == ChunkPhase.Submitted && !BatchStatusMap.IsTerminal(c.Status))))
        .Sum(c => c.PromptTokens);

    public static bool Update(BatchChunkState chunk, BatchApiBatch batch)
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

    public void DeleteLocal(BatchChunkState chunk)
    {
        var path = ChunkPath(chunk);
        File.Delete(path);
        File.Delete(ChunkMembers.PathFor(path));
    }

    // A run killed between recording a chunk done and deleting its files, or half-way through a split, leaves files no
    // running chunk owns: they go, so that the folder disappears once the job is done.
    public void TidyWorkDirectory()
    {
        if (!Directory.Exists(WorkDirectory))
        {
            return;
        }

        var owned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in ActiveChunks())
        {
            owned.Add(chunk.File);
            owned.Add(Path.GetFileName(ChunkMembers.PathFor(chunk.File)));
        }

        foreach (var file in Directory.EnumerateFiles(WorkDirectory))
        {
            if (!owned.Contains(Path.GetFileName(file)))
            {
                File.Delete(file);
            }
        }
    }

    // Provider files whose lines are in the output, now on disk (the writer was disposed, which forces it there).
    public async Task CleanUpAsync()
    {
        if (Options.DeleteProviderFiles && State.Cleanup.Count > 0)
        {
            foreach (var id in State.Cleanup.ToList())
            {
                try
                {
                    await Client.DeleteFileAsync(id, CancellationToken.None).ConfigureAwait(false);
                    State.Cleanup.Remove(id);
                }
                catch (BatchApiException)
                {
                    // Kept in the list: the next run tries again.
                }
            }

            await SaveAsync().ConfigureAwait(false);
        }

        if (ActiveChunks().Count == 0 && Directory.Exists(WorkDirectory) && !Directory.EnumerateFileSystemEntries(WorkDirectory).Any())
        {
            Directory.Delete(WorkDirectory);
        }
    }

    public void Dispose() => _client?.Dispose();
}
