using System.Globalization;

namespace LlmBatch.BatchApi;

/// <summary>
/// The rounds of a batch job: submit what may go, ask the provider how each running batch does, and act on what it
/// says (merge, create again, wait for room). Polls come sooner after a change and slower while nothing moves
/// (<see cref="PollSchedule"/>). When a round ends with items still without a line, <paramref name="newRound"/> puts
/// them into new chunks, unless the online fallback takes them.
/// </summary>
internal sealed class BatchPoller(BatchRunContext run, ChunkSubmitter submitter, ChunkResultDownloader downloader, Func<CancellationToken, Task<bool>> newRound)
{
    public async Task PollAsync(CancellationToken cancellationToken)
    {
        var schedule = new PollSchedule(run.Options.PollInterval, run.Options.MaxPollInterval);
        while (!cancellationToken.IsCancellationRequested)
        {
            if (run.ActiveChunks().Count == 0)
            {
                if (run.Options.Fallback == BatchFallback.Online)
                {
                    return;
                }

                // The round has ended: what is still without a line goes into a new one.
                if (!await newRound(cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }

            await submitter.SubmitAsync(cancellationToken).ConfigureAwait(false);
            var changed = await PollOnceAsync(cancellationToken).ConfigureAwait(false);
            var running = run.State.Chunks.Count(c => c.Phase == ChunkPhase.Submitted);
            run.Progress.SetPhase(string.Create(CultureInfo.InvariantCulture, $"waiting for {running} batch(es)"));
            if (run.ActiveChunks().Count == 0)
            {
                continue;
            }

            try
            {
                await Task.Delay(schedule.Next(changed), run.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<bool> PollOnceAsync(CancellationToken cancellationToken)
    {
        var changed = false;
        foreach (var chunk in run.State.Chunks.Where(c => c.Phase == ChunkPhase.Submitted).ToList())
        {
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            BatchApiBatch batch;
            try
            {
                batch = await run.Client.GetBatchAsync(chunk.BatchIds[^1], cancellationToken).ConfigureAwait(false);
            }
            catch (BatchApiException ex) when (ex.Ambiguous)
            {
                run.Progress.Event($"status of {chunk.BatchIds[^1]} unanswered ({ex.Message}); asking again later");
                continue;
            }

            if (BatchRunContext.Update(chunk, batch))
            {
                changed = true;
                run.Progress.Publish();
            }

            switch (BatchStatusMap.Step(batch))
            {
                case BatchStep.WaitForRoom:
                    await submitter.RefusedForRoomAsync(chunk, string.Join("; ", batch.Errors.Select(e => e.Message)), cancellationToken).ConfigureAwait(false);
                    changed = true;
                    break;
                case BatchStep.Recreate:
                    changed = true;
                    chunk.Problem = string.Join("; ", batch.Errors.Select(e => $"{e.Code}: {e.Message}"));
                    if (chunk.Submissions < run.Options.MaxSubmissions)
                    {
                        chunk.Submissions++;
                        chunk.Phase = ChunkPhase.Uploaded;
                        await run.SaveAsync().ConfigureAwait(false);
                        run.Progress.Event($"batch {batch.Id} failed ({chunk.Problem}); creating it again on the same file");
                    }
                    else
                    {
                        await downloader.MergeAsync(chunk, batch, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case BatchStep.Merge:
                    changed = true;
                    await downloader.MergeAsync(chunk, batch, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    break;
            }
        }

        if (changed)
        {
            // Statuses and counts too, so that the state file (and `llmbatch batches list`) tells where each batch was last seen.
            await run.SaveAsync().ConfigureAwait(false);
        }

        return changed;
    }
}
