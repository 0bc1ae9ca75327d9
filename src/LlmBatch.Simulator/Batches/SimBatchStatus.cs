namespace LlmBatch.Simulator;

/// <summary>The statuses of a Batch API batch, in the order a batch may pass through them.</summary>
internal enum SimBatchStatus
{
    Validating,
    Failed,
    InProgress,
    Finalizing,
    Completed,
    Expired,
    Cancelling,
    Cancelled,
}
