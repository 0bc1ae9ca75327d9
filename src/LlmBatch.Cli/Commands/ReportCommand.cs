using System.ComponentModel;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Cost;
using LlmBatch.Reporting;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary><c>llmbatch report results.jsonl</c>: rebuilds summary.json and report.html from an output file alone.</summary>
internal sealed class ReportCommand : AsyncCommand<ReportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<OUTPUT>")]
        [Description("The output file of a run (JSON Lines), also of a crashed run or a provider's Batch API output.")]
        public string Output { get; init; } = "";

        [CommandOption("--out <DIR>")]
        [Description("Where to write summary.json and report.html (default: the output file's directory).")]
        public string? OutDirectory { get; init; }

        [CommandOption("--prices <FILE>")]
        [Description("A JSON file of model prices per million tokens that overrides the built-in table (see docs/report.md).")]
        public string? Prices { get; init; }

        [CommandOption("--rpm-limit <N>")]
        [Description("Draw this request budget per minute as the limit line.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? RequestsPerMinuteLimit { get; init; }

        [CommandOption("--tpm-limit <N>")]
        [Description("Draw this token budget per minute as the limit line.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? TokensPerMinuteLimit { get; init; }

        public override Spectre.Console.ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Output))
            {
                return Spectre.Console.ValidationResult.Error("Name the output file to report on.");
            }

            var problems = new List<string>();
            Infrastructure.CliValues.CheckRange(problems, "--rpm-limit", RequestsPerMinuteLimit, 0, BatchOptions.MaxPerMinute, minExclusive: true);
            Infrastructure.CliValues.CheckRange(problems, "--tpm-limit", TokensPerMinuteLimit, 0, BatchOptions.MaxPerMinute, minExclusive: true);
            return problems.Count == 0 ? Spectre.Console.ValidationResult.Success() : Spectre.Console.ValidationResult.Error(string.Join("; ", problems));
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!File.Exists(settings.Output))
        {
            CliApp.Error($"{settings.Output}: no such file.");
            return CliApp.ExitUsage;
        }

        PriceTable? prices = null;
        if (settings.Prices is { } pricesPath)
        {
            try
            {
                prices = PriceTable.Load(pricesPath);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                CliApp.Error(ex.Message);
                return CliApp.ExitUsage;
            }
        }

        var directory = settings.OutDirectory ?? Path.GetDirectoryName(Path.GetFullPath(settings.Output))!;
        if (RunReport.FindCollision(directory, [settings.Output]) is { } collision)
        {
            CliApp.Error($"{collision}; write the report elsewhere with --out DIR.");
            return CliApp.ExitUsage;
        }

        // A run over documents keeps its skipped files in the manifest beside the output.
        var manifest = Documents.DocumentManifest.PathFor(settings.Output);
        var skipped = File.Exists(manifest) ? DocumentRun.ForReport(await DocumentRun.ReadSkippedAsync(manifest, cancellationToken).ConfigureAwait(false)) : null;
        var files = await RunReport.WriteAsync(
            settings.Output,
            directory,
            new RunReportOptions
            {
                Prices = prices,
                RequestsPerMinuteLimit = settings.RequestsPerMinuteLimit,
                TokensPerMinuteLimit = settings.TokensPerMinuteLimit,
                SkippedInputs = skipped,
            },
            cancellationToken).ConfigureAwait(false);

        var s = files.Summary;
        await Console.Out.WriteLineAsync(
            $"{s.Total} items: {s.Succeeded} succeeded, {s.Failed} failed. Wrote {files.SummaryJsonPath} and {files.HtmlPath}").ConfigureAwait(false);
        return CliApp.ExitSuccess;
    }
}
