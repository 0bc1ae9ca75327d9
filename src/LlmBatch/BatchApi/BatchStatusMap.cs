namespace LlmBatch.BatchApi;

/// <summary>
/// Reads a provider's status text (OpenAI's <c>in_progress</c>, Azure's <c>InProgress</c>, the American
/// <c>canceled</c>) and says what each status means for the job: wait, merge, or create the batch again.
/// </summary>
internal static class BatchStatusMap
{
    /// <summary>The code of a refusal for the enqueued-token limit.</summary>
    public const string TokenLimitExceeded = "token_limit_exceeded";

    public static BatchApiStatus Parse(string? text)
    {
        var key = (text ?? "").Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).Trim().ToLowerInvariant();
        return key switch
        {
            "validating" => BatchApiStatus.Validating,
            "failed" => BatchApiStatus.Failed,
            "inprogress" => BatchApiStatus.InProgress,
            "finalizing" => BatchApiStatus.Finalizing,
            "completed" => BatchApiStatus.Completed,
            "expired" => BatchApiStatus.Expired,
            "cancelling" or "canceling" => BatchApiStatus.Cancelling,
            "cancelled" or "canceled" => BatchApiStatus.Cancelled,
            _ => BatchApiStatus.Unknown,
        };
    }

    /// <summary>The wire name of a status, as OpenAI writes it.</summary>
    public static string Wire(BatchApiStatus status) => status switch
    {
        BatchApiStatus.InProgress => "in_progress",
        _ => status.ToString().ToLowerInvariant(),
    };

    /// <summary>True once a batch can change no more.</summary>
    public static bool IsTerminal(BatchApiStatus status) =>
        status is BatchApiStatus.Completed or BatchApiStatus.Failed or BatchApiStatus.Expired or BatchApiStatus.Cancelled;

    /// <summary>What to do next with <paramref name="batch"/>.</summary>
    public static BatchStep Step(BatchApiBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return batch.Status switch
        {
            BatchApiStatus.Completed or BatchApiStatus.Expired or BatchApiStatus.Cancelled => BatchStep.Merge,
            BatchApiStatus.Failed when batch.Errors.Any(e => e.Code == TokenLimitExceeded) => BatchStep.WaitForRoom,
            BatchApiStatus.Failed => BatchStep.Recreate,
            _ => BatchStep.Wait,
        };
    }
}
