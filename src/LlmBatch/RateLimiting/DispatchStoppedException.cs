namespace LlmBatch.RateLimiting;

/// <summary>
/// An attempt was refused before it was sent because the run is stopping: it never reached the provider, costs
/// nothing, and a rerun sends it.
/// </summary>
internal sealed class DispatchStoppedException : OperationCanceledException
{
    public DispatchStoppedException()
        : base("The run is stopping; the request was not sent.")
    {
    }
}
