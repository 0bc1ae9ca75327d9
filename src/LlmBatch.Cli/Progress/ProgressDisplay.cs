using Spectre.Console;

namespace LlmBatch.Cli.Progress;

/// <summary>Starts the progress display the <c>run</c> command asked for.</summary>
internal static class ProgressDisplay
{
    /// <summary>How often a plain progress line is written.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Starts showing progress until the returned handle is disposed (which draws the last figures).
    /// </summary>
    /// <param name="source">The engine's snapshot (<c>IBatchEngine.GetProgress</c>); called only from the display's own timer.</param>
    /// <param name="total">Items to do, when known, for the bar and the ETA.</param>
    /// <param name="mode">The display asked for; <see cref="ProgressMode.Auto"/> picks rich in an interactive terminal, plain otherwise.</param>
    /// <param name="plainOut">Where plain lines go; default stderr.</param>
    /// <param name="timeProvider">The clock for plain lines; default the system clock.</param>
    /// <param name="plainInterval">How often plain lines are written; default <see cref="PlainInterval"/>.</param>
    public static IAsyncDisposable Start(
        Func<BatchProgress> source,
        long? total,
        ProgressMode mode,
        TextWriter? plainOut,
        TimeProvider? timeProvider = null,
        TimeSpan? plainInterval = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        switch (Resolve(mode, plainOut is not null))
        {
            case ProgressMode.Rich:
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
                return new RichProgress(source, total, console);
            case ProgressMode.Plain:
                return new PlainProgress(source, total, plainOut ?? Console.Error, timeProvider ?? TimeProvider.System, plainInterval ?? PlainInterval);
            default:
                return new Nothing();
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

    private sealed class Nothing : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
