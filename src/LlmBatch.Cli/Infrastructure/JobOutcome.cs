namespace LlmBatch.Cli.Infrastructure;

/// <summary>How a file-to-file run that did not finish ends the command: the one rule every command that runs a job shares.</summary>
internal static class JobOutcome
{
    /// <summary>
    /// The exit code when the run did not finish, or null when it did. The engine stopping on its own (the server
    /// refused everything for the stall timeout, the quota ran out) says why and exits 1; a stop the user asked for
    /// exits 130. Either way the items not sent have no line, and the same command resumes.
    /// </summary>
    public static int? ExitCodeIfUnfinished(BatchJobResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.StoppedBy is { } stopped)
        {
            CliApp.Error(stopped.Message);
            return CliApp.ExitItemsFailed;
        }

        return result.Interrupted ? CliApp.ExitInterrupted : null;
    }
}
