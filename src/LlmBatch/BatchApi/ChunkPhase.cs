namespace LlmBatch.BatchApi;

/// <summary>
/// Where a chunk of the input stands. Each phase is written to the state file before the step it names starts, so a
/// run killed at any point knows what may have happened and checks the provider before doing anything again.
/// </summary>
internal enum ChunkPhase
{
    /// <summary>Its file is written locally; nothing sent yet.</summary>
    Ready,

    /// <summary>An upload has started: the provider may hold the file although its id was never recorded.</summary>
    Uploading,

    /// <summary>Uploaded (<see cref="BatchChunkState.FileId"/> known); no live batch on it.</summary>
    Uploaded,

    /// <summary>A creation has started: the provider may hold a batch although its id was never recorded.</summary>
    Creating,

    /// <summary>A batch runs on it (the last of <see cref="BatchChunkState.BatchIds"/>).</summary>
    Submitted,

    /// <summary>Its results are in the output; what never ran went on to a new chunk or online.</summary>
    Done,
}
