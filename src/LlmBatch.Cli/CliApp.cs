using LlmBatch.BatchApi;
using LlmBatch.Input;
using Spectre.Console.Cli;

namespace LlmBatch.Cli;

/// <summary>The command tree of <c>llmbatch</c>; each command is a thin shell over the library.</summary>
internal static class CliApp
{
    /// <summary>All succeeded.</summary>
    public const int ExitSuccess = 0;

    /// <summary>Some items failed permanently; their error lines are in the output.</summary>
    public const int ExitItemsFailed = 1;

    /// <summary>Usage or input error: nothing was sent.</summary>
    public const int ExitUsage = 2;

    /// <summary>Interrupted (a signal, or an error of the environment such as a full disk once work began); the same command resumes.</summary>
    public const int ExitInterrupted = 130;

    public static Task<int> RunAsync(string[] args)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("llmbatch");

            // Help and Spectre's own rendering colour their text: they go to the raw stdout, not the escaping one.
            config.ConfigureConsole(Terminal.TerminalOutput.CreateOutConsole());
            config.UseStrictParsing();
            config.SetExceptionHandler((ex, _) => HandleException(ex, args));
            // Commands are registered here, one line each.
            config.AddCommand<Commands.PrepareCommand>("prepare").WithDescription("Turn text, CSV or JSONL plus a template into Batch API request lines.");
            config.AddCommand<Commands.ClassifyCommand>("classify").WithDescription("Zero-shot classification: offline on the embedded model by default, or by a chat model; label distribution and accuracy.");
            config.AddCommand<Commands.MergeCommand>("merge").WithDescription("Merge a results file: text in input order, embeddings as .npy, classification with accuracy; errors counted by kind.");
            config.AddCommand<Commands.RunCommand>("run").WithDescription("Run a Batch API JSONL file through an OpenAI-compatible endpoint at the provider's limit; resumable.");
            config.AddCommand<Commands.WorkerCommand>("worker").WithDescription("Join the jobs of `run --redis` in a Redis: claim items, send them with this machine's own key, publish the results.");
            config.AddCommand<Commands.SimulateCommand>("simulate").WithDescription("Serve a simulated OpenAI-compatible provider: rate limits, latency and faults on demand.");
            config.AddCommand<Commands.ValidateCommand>("validate").WithDescription("Check a Batch API input file (every line, unique ids) and estimate its tokens, without sending anything.");
            config.AddCommand<Commands.ReportCommand>("report").WithDescription("Rebuild summary.json and report.html from an output file.");
            config.AddBranch("cache", cache =>
            {
                cache.SetDescription("The response cache of `run --cache`: what it holds, and clearing it.");
                cache.AddCommand<Commands.CacheStatsCommand>("stats").WithDescription("Show what a response cache file holds: answers, size, dates, models.");
                cache.AddCommand<Commands.CacheClearCommand>("clear").WithDescription("Delete cached answers (all, or those unused for --older-than) and give the space back.");
            });
            config.AddBranch("batches", batches =>
            {
                batches.SetDescription("The provider's Batch API batches a `run --mode batch|auto` started for an output.");
                batches.AddAsyncDelegate<Commands.BatchesCommand.Settings>("list", (c, s, ct) => new Commands.BatchesCommand(cancel: false).ExecuteAsync(c, s, ct))
                    .WithDescription("Show the output's batches as the provider sees them now: status and request_counts.");
                batches.AddAsyncDelegate<Commands.BatchesCommand.Settings>("cancel", (c, s, ct) => new Commands.BatchesCommand(cancel: true).ExecuteAsync(c, s, ct))
                    .WithDescription("Cancel the output's batches still validating or in progress (stop a run of it first).");
            });
        });
        return app.RunAsync(args);
    }

    /// <summary>Turns any failure into a clear message and an exit code; never a stack trace for the user's mistakes.</summary>
    internal static int HandleException(Exception ex, IReadOnlyList<string>? args = null)
    {
        switch (ex)
        {
            case CommandRuntimeException { InnerException: Infrastructure.FlagValueException value }:
                // A converter refused a flag's value while Spectre bound the settings; Spectre wraps its exception.
                Error(value.Describe(args));
                return ExitUsage;
            case BatchInputException input:
                Error(input.Message);
                return ExitUsage;
            case BatchOptionsException options:
                Error(options.Message);
                return ExitUsage;
            case BatchAuthenticationException or BatchEndpointUnreachableException or BatchApiException:
                Error(ex.Message);
                return ExitUsage;
            case Infrastructure.RunInterruptedException interrupted:
                Error(interrupted.Message);
                return ExitInterrupted;
            case CommandAppException cli:
                Error(cli.Message);
                return ExitUsage;
            case FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException:
                Error(ex.Message);
                return ExitUsage;
            case OperationCanceledException:
                return ExitInterrupted;
            default:
                Error($"Unexpected error: {ex.GetType().Name}: {ex.Message}");
                return ExitItemsFailed;
        }
    }

    internal static void Error(string message) =>
        Console.Error.WriteLine($"llmbatch: {message}");
}
