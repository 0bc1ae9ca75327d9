namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// A run that had started (the output was open, requests were being sent) stopped on an error of its environment, a
/// full disk above all: exit 130 with a message that says so, since what finished is kept and the same command
/// resumes. Exit 2 would claim that nothing was sent.
/// </summary>
internal sealed class RunInterruptedException : Exception
{
    public RunInterruptedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RunInterruptedException()
    {
    }

    public RunInterruptedException(string message)
        : base(message)
    {
    }
}
