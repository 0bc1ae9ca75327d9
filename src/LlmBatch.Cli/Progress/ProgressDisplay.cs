using Spectre.Console;

namespace LlmBatch.Cli.Progress;

/// <summary>Starts the progress display the <c>run</c> command asked for.</summary>
internal static class ProgressDisplay
{
    /// <summary>How often a plain progress line is written.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Starts showing progress until the returned view is disposed (which draws the last figures).
    /// </summary>
    /// <param name="source">The engine's snapshot (<c>IBatchEngine.GetProgress</c>); called only from the display's own timer.</param>
    /// <param name="totals">Items to do and items done before, for the bar and the ETA.</param>
    /// <param name="mode">The display asked for; <see cref="ProgressMode.Auto"/> picks rich in an interactive terminal, plain otherwise.</param>
    /// <param name="plainOut">Where plain lines go; default stderr.</param>
    /// <param name="timeProvider">The clock for plain lines; default the system clock.</param>
    /// <param name="plainInterval">How often plain lines are written; default <see cref="PlainInterval"/>.</param>
    /// <param name="parts">Each part's figures shown below the run's (each worker of a Redis job); null for none.</param>
    public static IProgressView Start(
        Func<BatchProgress> source,
        ProgressTotals totals,
        ProgressMode mode,
        TextWriter? plainOut,
        TimeProvider? timeProvider = null,
        TimeSpan? plainInterval = null,
        Func<ProgressParts>? parts = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(totals);
        switch (Resolve(mode, plainOut is not null))
        {
            case ProgressMode.Rich:
                // The live panel draws with ANSI sequences: raw stderr, its few texts are figures, not outside text.
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Terminal.TerminalOutput.RawError) });
                return new RichProgress(source, totals, console, parts: parts);
            case ProgressMode.Plain:
                return new PlainProgress(source, totals, plainOut ?? Console.Error, timeProvider ?? TimeProvider.System, plainInterval ?? PlainInterval, parts: parts);
            default:
                return new Nothing(plainOut ?? Console.Error);
        }
    }

    /// <summary>Which display <paramref name="mode"/> means here.</summary>
    internal static ProgressMode Resolve(ProgressMode mode, bool plainOutGiven) => mode switch
    {
        ProgressMode.Auto when !plainOutGiven && IsInteractiveTerminal() => ProgressMode.Rich,
        ProgressMode.Auto => ProgressMode.Plain,

        // Spectre prints nothing at all when redirected, so a rich display there would hide progress entirely.
        ProgressMode.Rich when !IsInteractiveTerminal() => ProgressMode.Plain,
        _ => mode,
    };

    private static bool IsInteractiveTerminal() =>
        !Console.IsOutputRedirected && !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    // No progress, but a stop request is still acknowledged: the user pressed Ctrl+C and waits for the grace period.
    internal sealed class Nothing(TextWriter messages) : IProgressView
    {
        public void Stopping(string message, bool immediately) => messages.WriteLine(message);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
