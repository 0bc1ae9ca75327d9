namespace LlmBatch.Redis.Connection;

/// <summary>
/// Redis did not answer for longer than the outage allowance (or could not be reached at all at start). The job is
/// kept in Redis: what was written is kept, and the same command resumes once Redis is back. The message names the
/// server with its password masked.
/// </summary>
public sealed class RedisUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened, with the password masked.</param>
    /// <param name="beforeStart">True when nothing had been sent yet (the server was never reached).</param>
    /// <param name="innerException">The client's last error.</param>
    public RedisUnavailableException(string message, bool beforeStart, Exception? innerException)
        : base(message, innerException)
    {
        BeforeStart = beforeStart;
    }

    /// <summary>True when Redis was never reached, so nothing was enqueued or sent.</summary>
    public bool BeforeStart { get; }
}
