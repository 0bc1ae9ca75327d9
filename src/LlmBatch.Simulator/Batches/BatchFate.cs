namespace LlmBatch.Simulator;

/// <summary>What will become of a batch, drawn when it is created.</summary>
internal enum BatchFate
{
    /// <summary>Every item runs and the batch completes.</summary>
    Complete,

    /// <summary>Validation fails although the file is valid (<see cref="SimulatorOptions.PBatchFail"/>).</summary>
    Fail,

    /// <summary>The window ends before every item ran (<see cref="SimulatorOptions.PBatchExpire"/>).</summary>
    Expire,

    /// <summary>The enqueued-token limit would be passed: validation fails with <c>token_limit_exceeded</c>.</summary>
    TokenLimit,

    /// <summary>The file itself is invalid: validation fails with the problems found.</summary>
    Invalid,
}
