namespace LlmBatch.BatchApi;

/// <summary>
/// How long to wait between status checks: the initial interval after any change, then half again as long after each
/// check that saw nothing new, up to the maximum. Batches take hours; a steady poll of a quiet one is wasted calls.
/// </summary>
internal sealed class PollSchedule(TimeSpan initial, TimeSpan maximum)
{
    private readonly TimeSpan _initial = initial;
    private TimeSpan _next = initial;

    /// <summary>The wait before the next check, given whether the last one saw a change.</summary>
    public TimeSpan Next(bool changed)
    {
        _next = changed ? _initial : TimeSpan.FromTicks(Math.Min(maximum.Ticks, (long)(_next.Ticks * 1.5)));
        return _next;
    }
}
