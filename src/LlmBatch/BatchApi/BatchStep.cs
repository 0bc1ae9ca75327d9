namespace LlmBatch.BatchApi;

/// <summary>What the job does next with a batch, from its status.</summary>
internal enum BatchStep
{
    /// <summary>Still running (validating, in progress, finalizing, cancelling, or a status not known): poll again later.</summary>
    Wait,

    /// <summary>Ended with results (completed, expired, cancelled): download and merge them; what never ran goes on.</summary>
    Merge,

    /// <summary>Refused for the enqueued-token limit: nothing ran; create it again once running batches leave room.</summary>
    WaitForRoom,

    /// <summary>Failed validation for another reason: nothing ran; create it again on the same file, or give up.</summary>
    Recreate,
}
