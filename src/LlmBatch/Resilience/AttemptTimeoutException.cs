namespace LlmBatch.Resilience;

/// <summary>An attempt ran past its timeout and was abandoned (the item may be retried).</summary>
internal sealed class AttemptTimeoutException : TimeoutException
{
    public AttemptTimeoutException(TimeSpan timeout, Exception? inner = null)
        : base($"The attempt did not complete within {timeout.TotalSeconds:0.###} s.", inner)
    {
        Timeout = timeout;
    }

    public TimeSpan Timeout { get; }
}
