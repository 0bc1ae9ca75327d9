using System.Globalization;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch.BatchApi;

/// <summary>
/// Takes chunks from a file on disk to a running batch: upload, then create, each recorded in the state file before it
/// is asked (<see cref="ChunkPhase.Uploading"/>, <see cref="ChunkPhase.Creating"/>) so that an unanswered or killed step
/// is looked for on the provider before it is tried again. It also keeps the job under the enqueued-token limit: a chunk
/// waits for room, and one too big alone is halved.
/// </summary>
internal sealed class ChunkSubmitter(BatchRunContext run, EnqueuedTokenBudget budget, IEnumerable<int> mayExist)
{
    private const int MaxCreateRefusals = 5;

    private readonly HashSet<int> _mayExist = [.. mayExist];
    private readonly Dictionary<int, int> _createRefusals = [];
    private readonly Dictionary<int, DateTimeOffset> _notBefore = [];

    public async Task SubmitAsync(CancellationToken cancellationToken)
    {
        foreach (var chunk in run.State.Chunks.Where(c => c.Phase is ChunkPhase.Ready or ChunkPhase.Uploading or ChunkPhase.Uploaded or ChunkPhase.Creating).ToList())
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            if (!_notBefore.TryGetValue(chunk.Index, out var notBefore) || run.Time.GetUtcNow() >= notBefore)
            {
                await AdvanceAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // Takes a chunk as far towards a running batch as it may go now: upload, then create.
    private async Task AdvanceAsync(BatchChunkState chunk, CancellationToken cancellationToken)
    {
        if (chunk.Phase is ChunkPhase.Ready or ChunkPhase.Uploaded && chunk.Requests > 1 && budget.TooBig(chunk.PromptTokens))
        {
            await HalveAsync(chunk, $"its {chunk.PromptTokens:N0} prompt tokens pass the enqueued-token limit on their own", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (chunk.Phase == ChunkPhase.Ready)
        {
            chunk.Phase = ChunkPhase.Uploading;
            await run.SaveAsync().ConfigureAwait(false);
        }

        if (chunk.Phase == ChunkPhase.Uploading)
        {
            run.Progress.SetPhase(string.Create(CultureInfo.InvariantCulture, $"uploading batch file {chunk.Index} ({chunk.Requests:N0} requests, {chunk.Bytes / 1e6:0.#} MB)"));
            ProviderFile? file = null;
            try
            {
                if (_mayExist.Contains(chunk.Index))
                {
                    file = await run.Client.FindFileAsync(chunk.UploadName, chunk.Bytes, cancellationToken).ConfigureAwait(false);
                }

                file ??= await run.Client.UploadAsync(run.ChunkPath(chunk), chunk.UploadName, cancellationToken).ConfigureAwait(false);
            }
            catch (BatchApiException ex) when (ex.Ambiguous)
            {
                _mayExist.Add(chunk.Index);
                run.Progress.Event($"upload of batch file {chunk.Index} unanswered ({ex.Message}); checking again next round");
                return;
            }

            _mayExist.Remove(chunk.Index);
            chunk.FileId = file.Id;
            chunk.Phase = ChunkPhase.Uploaded;
            await run.SaveAsync().ConfigureAwait(false);
        }

        if (chunk.Phase == ChunkPhase.Uploaded)
        {
            var ours = run.Enqueued(chunk.Model, except: chunk);
            if (!budget.Allows(chunk.Model, ours, chunk.PromptTokens))
            {
                chunk.Problem = string.Create(CultureInfo.InvariantCulture, $"waits for room: {ours:N0} enqueued + {chunk.PromptTokens:N0} would pass the learned limit of {budget.Ceiling(chunk.Model):N0} tokens");
                run.Progress.Publish();
                return;
            }

            chunk.Phase = ChunkPhase.Creating;
            chunk.EnqueuedAtCreation = ours;

            // Clocks differ: a batch made by a lost creation may carry a time a little before ours.
            chunk.CreatingSince = run.Time.GetUtcNow() - TimeSpan.FromMinutes(10);
            await run.SaveAsync().ConfigureAwait(false);
        }

        if (chunk.Phase == ChunkPhase.Creating)
        {
            await CreateAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CreateAsync(BatchChunkState chunk, CancellationToken cancellationToken)
    {
        run.Progress.SetPhase(string.Create(CultureInfo.InvariantCulture, $"creating the batch of file {chunk.Index}"));
        BatchApiBatch? batch = null;
        try
        {
            if (_mayExist.Contains(chunk.Index))
            {
                batch = await run.Client.FindBatchAsync(chunk.FileId!, chunk.BatchIds, chunk.CreatingSince ?? run.State.StartedAt, cancellationToken).ConfigureAwait(false);
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["llmbatch_job"] = run.State.JobId,
                ["llmbatch_chunk"] = chunk.Index.ToString(CultureInfo.InvariantCulture),
                ["llmbatch_output"] = Truncate(Path.GetFileName(run.Options.OutputPath), 500),
            };
            batch ??= await run.Client.CreateBatchAsync(chunk.FileId!, run.Client.Urls.Endpoint(chunk.Kind), metadata, cancellationToken).ConfigureAwait(false);
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
            run.Progress.Event($"creation of the batch of file {chunk.Index} unanswered ({ex.Message}); checking again next round");
            return;
        }
        catch (BatchApiException ex) when (ex.StatusCode is 400 or 404 && (_createRefusals[chunk.Index] = _createRefusals.GetValueOrDefault(chunk.Index) + 1) < MaxCreateRefusals)
        {
            // A file just uploaded is not always visible to the batches service at once.
            run.Progress.Event($"creation of the batch of file {chunk.Index} refused ({ex.Message}); trying again next round");
            return;
        }

        _mayExist.Remove(chunk.Index);
        _createRefusals.Remove(chunk.Index);
        chunk.BatchIds.Add(batch.Id);
        chunk.Problem = null;
        chunk.Phase = ChunkPhase.Submitted;
        BatchRunContext.Update(chunk, batch);
        await run.SaveAsync().ConfigureAwait(false);
        run.Progress.Event(string.Create(CultureInfo.InvariantCulture, $"batch {batch.Id} created for file {chunk.Index} ({chunk.Requests:N0} requests)"));
    }

    public async Task RefusedForRoomAsync(BatchChunkState chunk, string message, CancellationToken cancellationToken)
    {
        budget.Refused(chunk.Model, chunk.EnqueuedAtCreation, chunk.PromptTokens);
        chunk.Problem = "token_limit_exceeded: " + message;
        if (chunk.EnqueuedAtCreation == 0 && run.Enqueued(chunk.Model, except: chunk) == 0)
        {
            if (chunk.Requests > 1)
            {
                await HalveAsync(chunk, "it was refused for the enqueued-token limit with nothing else of this job enqueued", cancellationToken).ConfigureAwait(false);
                return;
            }

            // One request alone is refused: others' batches fill the queue. Try again later.
            _notBefore[chunk.Index] = run.Time.GetUtcNow() + run.Options.MaxPollInterval;
        }

        chunk.Phase = ChunkPhase.Uploaded;
        await run.SaveAsync().ConfigureAwait(false);
        run.Progress.Event($"batch {chunk.BatchIds[^1]} refused for the enqueued-token limit; file {chunk.Index} waits until running batches leave room");
    }

    // Splits a chunk in two new ones (its upload is given up) when it cannot fit the enqueued-token limit alone.
    private async Task HalveAsync(BatchChunkState chunk, string why, CancellationToken cancellationToken)
    {
        var lines = new Dictionary<UInt128, long>(chunk.Requests);
        await ChunkMembers.ReadAsync(ChunkMembers.PathFor(run.ChunkPath(chunk)), (hash, line) => lines[hash] = line, cancellationToken).ConfigureAwait(false);
        var halves = await run.Splitter((chunk.Requests + 1) / 2).SplitAsync(Members(chunk, lines, cancellationToken), run.NextIndex(), chunk.Submissions, cancellationToken).ConfigureAwait(false);
        chunk.Phase = ChunkPhase.Done;
        chunk.Problem = "split in two: " + why;
        if (chunk.FileId is not null)
        {
            run.State.Cleanup.Add(chunk.FileId);
        }

        run.State.Chunks.AddRange(halves);
        await run.SaveAsync().ConfigureAwait(false);
        run.DeleteLocal(chunk);
        run.Progress.Event(string.Create(CultureInfo.InvariantCulture, $"batch file {chunk.Index} split into {string.Join(" and ", halves.Select(h => h.Index))}: {why}"));
    }

    private async IAsyncEnumerable<BatchRequest> Members(BatchChunkState chunk, Dictionary<UInt128, long> lines, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var request in BatchInputFile.ReadValidatedAsync(run.ChunkPath(chunk), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            // Lines of a chunk file carry the chunk's own line numbers; members keep their input line.
            var line = lines.GetValueOrDefault(CustomIdHash.Key(request.CustomId));
            yield return new BatchRequest(request.CustomId, request.Endpoint, request.Url, request.Body, request.Model, request.MaxOutputTokens, line);
        }
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}
