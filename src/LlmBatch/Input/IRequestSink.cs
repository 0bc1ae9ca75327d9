namespace LlmBatch.Input;

/// <summary>
/// Sees each request of an input while the input is checked (<see cref="BatchInputFile.ValidateAsync(string, BatchValidationOptions?, IRequestSink?, CancellationToken)"/>),
/// so that whatever else needs one look at every request (the dedupe index of a run) takes it in the same pass instead
/// of reading the file again.
/// </summary>
internal interface IRequestSink
{
    /// <summary>
    /// About how many requests the input holds, told once early in the pass (from the first lines and the file's
    /// length), so that what is sized by the count is sized once. Not told for short inputs or inputs of unknown length.
    /// </summary>
    void Expect(long requests);

    /// <summary>
    /// A valid request whose custom_id is not a duplicate, in input order. Its body points into the reader's buffer: it
    /// is valid only during the call.
    /// </summary>
    void Add(BatchRequest request);
}
