using LlmBatch.BatchApi;
using Spectre.Console;

namespace LlmBatch.Cli.Progress;

/// <summary>Starts the progress display of a Batch API run: the live panel in a terminal, plain lines otherwise.</summary>
internal static class BatchProgressDisplay
{
    public static IProgressView Start(
        Func<BatchApiProgress> source, Func<BatchPlan, string> formatPlan, ProgressMode mode, TextWriter? plainOut,
        TimeProvider? timeProvider = null, TimeSpan? plainInterval = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        switch (ProgressDisplay.Resolve(mode, plainOut is not null))
        {
            case ProgressMode.Rich:
                return new BatchRichProgress(source, AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }));
            case ProgressMode.Plain:
                return new BatchPlainProgress(source, formatPlan, plainOut ?? Console.Error, timeProvider ?? TimeProvider.System, plainInterval ?? ProgressDisplay.PlainInterval);
            default:
                return new ProgressDisplay.Nothing(plainOut ?? Console.Error);
        }
    }
}
