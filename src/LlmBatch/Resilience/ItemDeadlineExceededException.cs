namespace LlmBatch.Resilience;

/// <summary>An item ran past <see cref="BatchOptions.ItemDeadline"/>: it is final, and its line says <c>deadline_exceeded</c>.</summary>
internal sealed class ItemDeadlineExceededException : TimeoutException
{
    public ItemDeadlineExceededException(TimeSpan deadline, Exception? inner = null)
        : base($"The item did not finish within its deadline of {deadline.TotalSeconds:0.###} s.", inner)
    {
    }
}
