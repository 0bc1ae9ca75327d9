using System.Globalization;
using LlmBatch.Output;

namespace LlmBatch.BatchApi;

/// <summary>
/// Downloads the lines of an ended batch into the output and ends its chunk. Items leave a chunk only as lines in the
/// output: the chunk is <see cref="ChunkPhase.Done"/> once its lines are handed to the OS, and its members without a
/// line are pending again. A download that breaks off is tried again on the next round; an output that cannot be
/// written stops the run.
/// </summary>
internal sealed class ChunkResultDownloader(BatchRunContext run)
{
    private BatchOutputWriter? _writer;
    private long _queued;

    public async Task MergeAsync(BatchChunkState chunk, BatchApiBatch batch, CancellationToken cancellationToken)
    {
        run.Progress.SetPhase($"downloading the results of {batch.Id}");
        _writer ??= BatchOutputWriter.Open(run.Options.OutputPath, run.Time);
        var last = run.Options.Fallback == BatchFallback.Resubmit && chunk.Submissions >= run.Options.MaxSubmissions;
        var writer = _writer;
        var writerFailed = false;
        var merger = new BatchResultMerger(run.Client, async (result, ct) =>
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
        }, run.Checkpoint, run.Written, run.Time);
        MergeOutcome outcome;
        try
        {
            outcome = await merger.MergeAsync(chunk, batch, run.ChunkPath(chunk), last, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !writerFailed && ex is BatchApiException { Ambiguous: true } or IOException or HttpRequestException)
        {
            run.Progress.Event($"download of the results of {batch.Id} broke off ({ex.Message}); trying again next round");
            return;
        }

        run.Progress.Succeeded += outcome.Succeeded;
        run.Progress.Failed += outcome.Failed;
        if (outcome.Leftover == chunk.Requests && run.Options.Fallback == BatchFallback.Resubmit && chunk.Submissions < run.Options.MaxSubmissions)
        {
            // Nothing of it ran: a new batch on the same file, rather than the same file uploaded again.
            chunk.Submissions++;
            chunk.Phase = ChunkPhase.Uploaded;
            await run.SaveAsync().ConfigureAwait(false);
            run.Progress.Event($"batch {batch.Id} ended {BatchStatusMap.Wire(batch.Status)} with nothing run; creating it again on the same file");
            return;
        }

        // Lines reach the OS before the state says so: a kill -9 after this point keeps them.
        await _writer.WaitForLinesAsync(_queued, CancellationToken.None).ConfigureAwait(false);
        chunk.Phase = ChunkPhase.Done;
        chunk.EndedAt ??= run.Time.GetUtcNow();
        foreach (var id in new[] { chunk.FileId, batch.OutputFileId, batch.ErrorFileId })
        {
            if (id is not null)
            {
                run.State.Cleanup.Add(id);
            }
        }

        await run.SaveAsync().ConfigureAwait(false);
        run.DeleteLocal(chunk);
        var next = outcome.Leftover == 0 ? "" : run.Options.Fallback == BatchFallback.Online
            ? string.Create(CultureInfo.InvariantCulture, $"; {outcome.Leftover:N0} without an answer go online")
            : string.Create(CultureInfo.InvariantCulture, $"; {outcome.Leftover:N0} without an answer go into a new batch");
        run.Progress.Event(string.Create(CultureInfo.InvariantCulture, $"batch {batch.Id} {BatchStatusMap.Wire(batch.Status)}: {outcome.Succeeded:N0} succeeded, {outcome.Failed:N0} failed{next}"));
    }

    public async Task CloseWriterAsync()
    {
        if (_writer is { } writer)
        {
            _writer = null;
            _queued = 0;
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }
}
