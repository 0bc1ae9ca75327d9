using System.ComponentModel;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary>
/// <c>llmbatch validate FILE</c>: the check a run makes before its first request, without sending anything.
/// Problems go to stderr as <c>path:line: field: message</c>; the summary goes to stdout.
/// Exit 0 when the file can be run, 2 when it cannot (bad lines, no requests, missing or unreadable file).
/// </summary>
internal sealed class ValidateCommand : AsyncCommand<ValidateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("The Batch API input file (JSONL).")]
        public string File { get; init; } = "";

        [CommandOption("--max-errors <N>")]
        [Description("Problems listed at most All are counted.")]
        [DefaultValue(100)]
        public int MaxErrors { get; init; } = 100;

        [CommandOption("--max-line-bytes <N>")]
        [Description("The longest line accepted, in bytes (8388608 = 8 MiB).")]
        [DefaultValue(BatchValidationOptions.DefaultMaxLineBytes)]
        public int MaxLineBytes { get; init; } = BatchValidationOptions.DefaultMaxLineBytes;

        [CommandOption("--max-output-tokens <N>")]
        [Description("Completion tokens reserved for a request whose body sets no limit.")]
        [DefaultValue(256)]
        public int DefaultMaxOutputTokens { get; init; } = 256;

        [CommandOption("--no-tokens")]
        [Description("Skip counting prompt tokens (faster).")]
        public bool NoTokens { get; init; }

        public override ValidationResult Validate()
        {
            var problems = new List<string>();
            Infrastructure.CliValues.CheckRange(problems, "--max-errors", MaxErrors, 1, int.MaxValue);
            Infrastructure.CliValues.CheckRange(problems, "--max-line-bytes", MaxLineBytes, BatchValidationOptions.MinMaxLineBytes, BatchValidationOptions.MaxMaxLineBytes);
            Infrastructure.CliValues.CheckRange(problems, "--max-output-tokens", DefaultMaxOutputTokens, 0, BatchOptions.MaxOutputTokensLimit);
            return problems.Count == 0 ? ValidationResult.Success() : ValidationResult.Error(string.Join("; ", problems));
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new BatchValidationOptions
        {
            MaxErrors = settings.MaxErrors,
            MaxLineBytes = settings.MaxLineBytes,
            DefaultMaxOutputTokens = settings.DefaultMaxOutputTokens,
            CountTokens = !settings.NoTokens,
        };

        BatchValidationReport report;
        try
        {
            options.Validate();
            report = await BatchInputFile.ValidateAsync(settings.File, options, cancellationToken).ConfigureAwait(false);
        }
        catch (BatchOptionsException ex)
        {
            await Console.Error.WriteLineAsync("llmbatch validate: " + string.Join("; ", ex.Problems)).ConfigureAwait(false);
            return CliApp.ExitUsage;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("llmbatch validate: interrupted").ConfigureAwait(false);
            return CliApp.ExitInterrupted;
        }

        await WriteErrorsAsync(report).ConfigureAwait(false);

        // A summary of zeros for a file that is not there would only bury the one line that matters.
        if (File.Exists(settings.File))
        {
            WriteSummary(report, tokensCounted: !settings.NoTokens);
        }

        return report.IsValid ? CliApp.ExitSuccess : CliApp.ExitUsage;
    }

    // Plain text, not markup: the errors quote the file, and file content must never be read as markup.
    private static async Task WriteErrorsAsync(BatchValidationReport report)
    {
        if (report.Errors.Count == 0)
        {
            return;
        }

        var text = new StringBuilder();
        foreach (var error in report.Errors)
        {
            text.Append(error).Append('\n');
        }

        if (report.TotalErrors > report.Errors.Count)
        {
            text.Append(CultureInfo.InvariantCulture, $"... and {report.TotalErrors - report.Errors.Count:N0} more (raise --max-errors to list them)\n");
        }

        await Console.Error.WriteAsync(text.ToString()).ConfigureAwait(false);
        await Console.Error.FlushAsync().ConfigureAwait(false);
    }

    private static void WriteSummary(BatchValidationReport report, bool tokensCounted)
    {
        // Coloured, so on the raw stdout; every text from the file is escaped for the terminal and for markup.
        var console = Terminal.TerminalOutput.CreateOutConsole();
        var verdict = report.IsValid
            ? "[green]valid[/]"
            : $"[red]invalid[/] ({Plural(report.TotalErrors, "problem")})";
        console.MarkupLine($"{Terminal.TerminalOutput.Markup(report.Path)}: {verdict}");

        var table = new Table().NoBorder().HideHeaders().AddColumn("").AddColumn("");
        table.AddRow("lines", $"{report.Lines:N0} ({report.BlankLines:N0} blank)");
        table.AddRow("requests", $"{report.Requests:N0}");
        AddCounts(table, "endpoints", report.ByEndpoint);
        AddCounts(table, "models", report.ByModel);
        table.AddRow("prompt tokens", tokensCounted ? $"{report.EstimatedPromptTokens:N0} (estimated)" : "not counted (--no-tokens)");
        table.AddRow("completion tokens", $"{report.ReservedCompletionTokens:N0} (reserved)");
        var seconds = report.Elapsed.TotalSeconds;
        var rate = seconds > 0 ? $", {report.Lines / seconds:N0} lines/s" : "";
        table.AddRow("checked in", $"{seconds:0.###} s{rate}");
        console.Write(table);
    }

    private static void AddCounts(Table table, string label, IReadOnlyDictionary<string, long> counts)
    {
        if (counts.Count == 0)
        {
            return;
        }

        var ordered = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal);
        var first = true;
        foreach (var (key, value) in ordered)
        {
            // Table cells given as strings are parsed as markup; models come from the file, so escape them.
            table.AddRow(first ? label : "", $"{Terminal.TerminalOutput.Markup(key)}: {value:N0}");
            first = false;
        }
    }

    private static string Plural(long n, string noun) => n == 1 ? $"1 {noun}" : $"{n:N0} {noun}s";
}
