namespace LlmBatch.BatchApi;

/// <summary>The status of a batch on the provider (OpenAI's names; Azure's capitalised forms map to the same values).</summary>
public enum BatchApiStatus
{
    /// <summary>A status this version does not know; treated as still running.</summary>
    Unknown,

    /// <summary>The input file is being validated.</summary>
    Validating,

    /// <summary>Validation failed (an invalid file, or <c>token_limit_exceeded</c>); no item ran.</summary>
    Failed,

    /// <summary>Items are running.</summary>
    InProgress,

    /// <summary>Every item ran; the output files are being prepared.</summary>
    Finalizing,

    /// <summary>Done: the output and error files are ready.</summary>
    Completed,

    /// <summary>The completion window ended first; items that never ran are in the error file as <c>batch_expired</c>.</summary>
    Expired,

    /// <summary>A cancel was asked for; items already running finish.</summary>
    Cancelling,

    /// <summary>Cancelled; items that never ran are in the error file as <c>batch_cancelled</c>.</summary>
    Cancelled,
}
