namespace LlmBatch;

/// <summary>
/// The endpoint could not be reached (connection refused, host not found) before any request succeeded, so the run
/// was stopped instead of recording every item as failed. Nothing was recorded for those items: a rerun sends them.
/// </summary>
public sealed class BatchEndpointUnreachableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="inner">The transport failure of the last attempt.</param>
    public BatchEndpointUnreachableException(Exception inner)
        : base($"The endpoint could not be reached ({inner?.Message}). Check --base-url and that the server is running; nothing was recorded, so the same command resumes once it is up.", inner)
    {
    }
}
