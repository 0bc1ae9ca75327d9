using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.RateLimiting;

namespace LlmBatch.BatchApi;

/// <summary>
/// Streams an ended batch's output and error files into the job's output, exactly one line per custom_id: each line as
/// the provider wrote it (its <c>id</c>, <c>response</c> and <c>error</c>) plus the <c>llmbatch</c> key, which names the
/// batch. A line whose custom_id already has one (an earlier download of the same file, a rerun, an online answer) or
/// that is not the chunk's is skipped. A retryable outcome (5xx, 408, 409, 429, or an item that never ran because the
/// batch expired, was cancelled or failed) is left for another submission unless this was the item's last.
/// </summary>
internal sealed class BatchResultMerger(BatchApiClient client, Func<BatchResult, CancellationToken, ValueTask> write, OutputCheckpoint checkpoint, CustomIdSet written, TimeProvider time)
{
    /// <summary>The code of the line written for a member the provider's files left out, on its last submission.</summary>
    public const string MissingResult = "batch_missing_result";

    public async Task<MergeOutcome> MergeAsync(BatchChunkState chunk, BatchApiBatch batch, string chunkPath, bool lastSubmission, CancellationToken cancellationToken)
    {
        var lines = new Dictionary<UInt128, long>(chunk.Requests);

        // Without its sidecar (removed by hand) a chunk's members are unknown: take every line of its own batch.
        var known = await ChunkMembers.ReadAsync(ChunkMembers.PathFor(chunkPath), (hash, line) => lines[hash] = line, cancellationToken).ConfigureAwait(false);
        int succeeded = 0, failed = 0;
        foreach (var fileId in new[] { batch.OutputFileId, batch.ErrorFileId })
        {
            if (fileId is null)
            {
                continue;
            }

            var stream = await client.OpenContentAsync(fileId, cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var reader = new JsonlLineReader(stream, $"the Batch API file {fileId}");
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (reader.IsBlank || reader.Problem != JsonlLineProblem.None || OutputLineParser.Parse(reader.Line.Span, out _, out _) is not { } result)
                    {
                        continue;
                    }

                    var hash = CustomIdHash.Key(result.CustomId);
                    var member = lines.TryGetValue(hash, out var line) || !known;
                    if (!member || IsDone(hash) || (IsRetryable(result) && !lastSubmission))
                    {
                        continue;
                    }

                    await WriteAsync(Enrich(result, chunk, batch, line), hash, cancellationToken).ConfigureAwait(false);
                    if (result.IsSuccess)
                    {
                        succeeded++;
                    }
                    else
                    {
                        failed++;
                    }
                }
            }
        }

        var missing = new CustomIdSet();
        foreach (var hash in lines.Keys)
        {
            if (!IsDone(hash))
            {
                missing.Add(hash);
            }
        }

        if (!lastSubmission || missing.Count == 0)
        {
            return new MergeOutcome(succeeded, failed, (int)missing.Count);
        }

        // The last submission ended without a line for these items: say so in the output, so none is lost silently.
        // The sidecar holds only hashes; the chunk's own file gives back their custom_ids.
        var (code, message) = batch.Status == BatchApiStatus.Failed
            ? ("batch_failed", chunk.Problem ?? "The batch failed validation.")
            : (MissingResult, $"The batch {batch.Id} ended ({BatchStatusMap.Wire(batch.Status)}) without a line for this request in its output or error file.");
        await foreach (var request in BatchInputFile.ReadValidatedAsync(chunkPath, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var hash = CustomIdHash.Key(request.CustomId);
            if (missing.Contains(hash) && !IsDone(hash))
            {
                var unanswered = new BatchResult { CustomId = request.CustomId, Id = CustomIdHash.ToResultId(request.CustomId), Error = new BatchError(code, message), Stats = new BatchItemStats() };
                await WriteAsync(Enrich(unanswered, chunk, batch, lines[hash]), hash, cancellationToken).ConfigureAwait(false);
                failed++;
            }
        }

        return new MergeOutcome(succeeded, failed, 0);
    }

    /// <summary>
    /// True for outcomes another submission may change: a server-side or rate error, or an item that never ran
    /// (<c>response</c> null: <c>batch_expired</c>, <c>batch_cancelled</c> and the like).
    /// </summary>
    public static bool IsRetryable(BatchResult result) =>
        !result.IsSuccess && (result.StatusCode is 0 or 408 or 409 or 429 or >= 500);

    private bool IsDone(UInt128 hash) => checkpoint.IsDone(hash) || written.Contains(hash);

    private async Task WriteAsync(BatchResult result, UInt128 hash, CancellationToken cancellationToken)
    {
        written.Add(hash);
        await write(result, cancellationToken).ConfigureAwait(false);
    }

    private BatchResult Enrich(BatchResult result, BatchChunkState chunk, BatchApiBatch batch, long line)
    {
        var usage = UsageReader.TryRead(result.ResponseBody.Span, out var prompt, out var completion);
        var started = batch.CreatedAt ?? chunk.CreatedAt ?? time.GetUtcNow();
        var finished = batch.EndedAt ?? time.GetUtcNow();
        var stats = new BatchItemStats
        {
            Attempts = chunk.Submissions,
            Statuses = [result.StatusCode],
            StartedAt = started,
            FinishedAt = finished,
            LatencyMs = Math.Max(0, (finished - (batch.InProgressAt ?? started)).TotalMilliseconds),
            PromptTokens = usage ? prompt : 0,
            CompletionTokens = usage ? completion : 0,
            UsageReported = usage,
            Model = chunk.Model,
            BatchId = batch.Id,
        };
        return result.With(stats, line, keepBody: true);
    }
}
