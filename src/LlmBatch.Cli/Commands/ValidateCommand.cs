using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LlmBatch.Caching;
using LlmBatch.Cli.Cost;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Cost;
using LlmBatch.Input;
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
        [TypeConverter(typeof(NumberConverter<int>))]
        public int MaxErrors { get; init; } = 100;

        [CommandOption("--max-line-bytes <N>")]
        [Description("The longest line accepted, in bytes (8388608 = 8 MiB).")]
        [DefaultValue(BatchValidationOptions.DefaultMaxLineBytes)]
        [TypeConverter(typeof(NumberConverter<int>))]
        public int MaxLineBytes { get; init; } = BatchValidationOptions.DefaultMaxLineBytes;

        [CommandOption("--max-output-tokens <N>")]
        [Description("Completion tokens reserved for a request whose body sets no limit.")]
        [DefaultValue(256)]
        [TypeConverter(typeof(NumberConverter<int>))]
        public int DefaultMaxOutputTokens { get; init; } = 256;

        [CommandOption("--no-tokens")]
        [Description("Skip counting prompt tokens and the cost estimate (faster).")]
        public bool NoTokens { get; init; }

        [CommandOption("--prices <FILE>")]
        [Description("Price table laid over the built-in one (our JSON, or LiteLLM's model_prices_and_context_window.json).")]
        public string? Prices { get; init; }

        [CommandOption("--output <FILE>")]
        [Description("The output of an earlier run of this file, for the observed completion ratio (default: FILE with .results.jsonl, if it exists).")]
        public string? Output { get; init; }

        [CommandOption("--json")]
        [Description("Print the check and the estimate as one JSON object on stdout instead of the summary.")]
        public bool Json { get; init; }

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
            // The estimate counts every prompt once; the check need not count them too.
            CountTokens = false,
        };

        BatchValidationReport report;
        BatchEstimate? estimate = null;
        try
        {
            options.Validate();
            var prices = settings.Prices is null ? PriceTable.BuiltIn : PriceTable.Load(settings.Prices);
            report = await BatchInputFile.ValidateAsync(settings.File, options, cancellationToken).ConfigureAwait(false);
            if (report.IsValid && !settings.NoTokens)
            {
                estimate = await BatchEstimator.EstimateAsync(settings.File, new BatchEstimateOptions
                {
                    Prices = prices,
                    DefaultMaxOutputTokens = settings.DefaultMaxOutputTokens,
                    PreviousOutputPath = settings.Output ?? DefaultOutput(settings.File),
                    Reuse = new ResponseReuseOptions(),
                }, cancellationToken).ConfigureAwait(false);
            }
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
        if (settings.Json)
        {
            WriteJson(report, estimate);
        }
        else if (File.Exists(settings.File))
        {
            // A summary of zeros for a file that is not there would only bury the one line that matters.
            WriteSummary(report, estimate);
            if (estimate is not null)
            {
                Console.Out.Write(EstimatePrinter.Format(estimate));
                if (estimate.Repeats > 0)
                {
                    Console.Out.WriteLine($"  {estimate.Repeats:N0} request(s) repeat an identical earlier one: `run` sends them once (not in the estimate)");
                }
            }
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

    private static string DefaultOutput(string input) =>
        Path.Combine(Path.GetDirectoryName(input) ?? "", Path.GetFileNameWithoutExtension(input) + ".results.jsonl");

    private static void WriteJson(BatchValidationReport report, BatchEstimate? estimate)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("file", report.Path);
            w.WriteBoolean("valid", report.IsValid);
            w.WriteNumber("lines", report.Lines);
            w.WriteNumber("requests", report.Requests);
            w.WriteNumber("problems", report.TotalErrors);
            w.WriteNumber("completion_budget", report.ReservedCompletionTokens);
            w.WritePropertyName("estimate");
            if (estimate is null)
            {
                w.WriteNullValue();
            }
            else
            {
                EstimatePrinter.WriteJson(w, estimate);
            }

            w.WriteEndObject();
        }

        stdout.WriteByte((byte)'\n');
    }

    private static void WriteSummary(BatchValidationReport report, BatchEstimate? estimate)
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
        table.AddRow("prompt tokens", estimate is not null ? $"{estimate.PromptTokens:N0} (counted with the tokenizer)" : report.IsValid ? "not counted (--no-tokens)" : "not counted (invalid file)");
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
