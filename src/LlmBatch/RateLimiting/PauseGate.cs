namespace LlmBatch.RateLimiting;

/// <summary>
/// The run-wide pause after a server asked every client to wait (a 429, or an overload answer with a
/// <c>retry-after</c>): nothing is admitted until it passes. A later, shorter wait never shortens a pause in force.
/// Not thread-safe: the owner serialises access.
/// </summary>
internal sealed class PauseGate(TimeProvider timeProvider)
{
    /// <summary>
    /// A pause longer than this is cut to it: a <c>retry-after</c> of days is a quota, not a rate, and waiting it out
    /// is the stall watchdog's call (<see cref="BatchOptions.StallTimeout"/>), not the clock's; the cap also keeps the
    /// timestamp arithmetic far from overflow.
    /// </summary>
    internal static readonly TimeSpan LongestPause = TimeSpan.FromDays(1);

    private long _until;
    private DateTimeOffset _untilUtc;

    /// <summary>Pauses until <paramref name="wait"/> after <paramref name="now"/>, unless a longer pause is in force.</summary>
    /// <returns>True when this extended the pause.</returns>
    public bool Pause(TimeSpan wait, long now)
    {
        if (wait <= TimeSpan.Zero)
        {
            return false;
        }

        wait = wait < LongestPause ? wait : LongestPause;
        var until = now + (long)(wait.TotalSeconds * timeProvider.TimestampFrequency);
        if (until <= _until)
        {
            return false;
        }

        _until = until;
        _untilUtc = timeProvider.GetUtcNow() + wait;
        return true;
    }

    /// <summary>How long the pause still holds at <paramref name="now"/> (zero when it does not).</summary>
    public TimeSpan Remaining(long now) => now < _until ? timeProvider.GetElapsedTime(now, _until) : TimeSpan.Zero;

    /// <summary>Until when dispatch is paused, or null when it is not.</summary>
    public DateTimeOffset? UntilUtc(long now) => now < _until ? _untilUtc : null;
}
