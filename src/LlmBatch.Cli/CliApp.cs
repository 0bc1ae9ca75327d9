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

    /// <summary>Every command and branch at the top of the tree, in the order help lists them, by name as typed (Spectre matches case-sensitively).</summary>
    private static readonly TopLevel[] TopLevels =
    [
        new("prepare", c => c.AddCommand<Commands.PrepareCommand>("prepare").WithDescription("Turn text, CSV or JSONL plus a template into Batch API request lines.")),
        new("classify", c => c.AddCommand<Commands.ClassifyCommand>("classify").WithDescription("Zero-shot classification: offline on the embedded model by default, or by a chat model; label distribution and accuracy.")),
        new("merge", c => c.AddCommand<Commands.MergeCommand>("merge").WithDescription("Merge a results file: text in input order, embeddings as .npy, classification with accuracy; errors counted by kind.")),
        new("run", c => c.AddCommand<Commands.RunCommand>("run").WithDescription("Run a Batch API JSONL file through an OpenAI-compatible endpoint at the provider's limit; resumable.")),
        new("worker", c => c.AddCommand<Commands.WorkerCommand>("worker").WithDescription("Join the jobs of `run --redis` in a Redis: claim items, send them with this machine's own key, publish the results.")),
        new("simulate", c => c.AddCommand<Commands.SimulateCommand>("simulate").WithDescription("Serve a simulated OpenAI-compatible provider: rate limits, latency and faults on demand.")),
        new("validate", c => c.AddCommand<Commands.ValidateCommand>("validate").WithDescription("Check a Batch API input file (every line, unique ids) and estimate its tokens, without sending anything.")),
        new("report", c => c.AddCommand<Commands.ReportCommand>("report").WithDescription("Rebuild summary.json and report.html from an output file.")),
        new("cache", c => c.AddBranch("cache", cache =>
        {
            cache.SetDescription("The response cache of `run --cache`: what it holds, and clearing it.");
            cache.AddCommand<Commands.CacheStatsCommand>("stats").WithDescription("Show what a response cache file holds: answers, size, dates, models.");
            cache.AddCommand<Commands.CacheClearCommand>("clear").WithDescription("Delete cached answers (all, or those unused for --older-than) and give the space back.");
        })),
        new("batches", c => c.AddBranch("batches", batches =>
        {
            batches.SetDescription("The provider's Batch API batches a `run --mode batch|auto` started for an output.");
            batches.AddAsyncDelegate<Commands.BatchesCommand.Settings>("list", (ctx, s, ct) => new Commands.BatchesCommand(cancel: false).ExecuteAsync(ctx, s, ct))
                .WithDescription("Show the output's batches as the provider sees them now: status and request_counts.");
            batches.AddAsyncDelegate<Commands.BatchesCommand.Settings>("cancel", (ctx, s, ct) => new Commands.BatchesCommand(cancel: true).ExecuteAsync(ctx, s, ct))
                .WithDescription("Cancel the output's batches still validating or in progress (stop a run of it first).");
        })),
    ];

    public static Task<int> RunAsync(string[] args)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("llmbatch");

            // Help and Spectre's own rendering colour their text: they go to the raw stdout, not the escaping one.
            config.ConfigureConsole(new Terminal.LazyAnsiConsole(Terminal.TerminalOutput.CreateOutConsole));
            config.UseStrictParsing();
            config.SetExceptionHandler((ex, _) => HandleException(ex, args));
            // Spectre reflects over the settings of every registered command before it parses anything, so when the
            // first argument names a command only that one is registered: its parsing, help and errors are the same.
            // Anything else (no argument, --help, --version, a mistyped name) registers them all, for the full help
            // and "did you mean".
            var only = args.Length > 0 && Array.Exists(TopLevels, c => c.Name == args[0]) ? args[0] : null;
            foreach (var command in TopLevels)
            {
                if (only is null || only == command.Name)
                {
                    command.Add(config);
                }
            }
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

    /// <summary>A command or branch at the top of the tree and how it is registered.</summary>
    private sealed record TopLevel(string Name, Action<IConfigurator> Add);
}
