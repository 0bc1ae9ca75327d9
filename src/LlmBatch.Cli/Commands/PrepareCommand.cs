using System.ComponentModel;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary><c>llmbatch prepare INPUT</c>: plain text, CSV or JSONL plus a template into a Batch API request file.</summary>
internal sealed class PrepareCommand : AsyncCommand<PrepareCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<INPUT>")]
        [Description("Plain text (one item per line), CSV with a header, or JSONL.")]
        public string Input { get; init; } = "";

        [CommandOption("-o|--output <FILE>")]
        [Description("The request file to write (default: INPUT with extension .requests.jsonl). A FILE.metadata.jsonl with the other columns is written beside it.")]
        public string? Output { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("auto (by extension), text, csv or jsonl. Default auto.")]
        public BatchInputFormat Format { get; init; } = BatchInputFormat.Auto;

        [CommandOption("--column <NAME>")]
        [Description("The CSV column or JSONL field holding the text. Default text.")]
        public string Column { get; init; } = "text";

        [CommandOption("--id-column <NAME>")]
        [Description("The column holding each item's custom_id. Default: custom_id or id when present, else item-N.")]
        public string? IdColumn { get; init; }

        [CommandOption("--template <TEMPLATE>")]
        [Description("The prompt, with {text} for the item's text and {column} for other columns. Default {text}.")]
        public string Template { get; init; } = "{text}";

        [CommandOption("--url <URL>")]
        [Description("/v1/chat/completions (default), /v1/embeddings, /v1/completions or /v1/responses.")]
        public string Url { get; init; } = "/v1/chat/completions";

        [CommandOption("-m|--model <MODEL>")]
        [Description("The model of every request. Default local/all-MiniLM-L6-v2 for embeddings; required otherwise.")]
        public string? Model { get; init; }

        [CommandOption("--system <TEXT>")]
        [Description("A system message for chat requests.")]
        public string? System { get; init; }

        [CommandOption("--max-tokens <N>")]
        [Description("max_tokens of each request.")]
        public int? MaxTokens { get; init; }

        [CommandOption("--body <JSON>")]
        [Description("A JSON object merged into every body, e.g. '{\"temperature\":0}'.")]
        public string? Body { get; init; }
    }

    internal static BatchInputConversionOptions ToOptions(Settings s) => new()
    {
        Format = s.Format,
        TextColumn = s.Column,
        IdColumn = s.IdColumn,
        Template = s.Template,
        Url = s.Url,
        Model = s.Model ?? (s.Url.EndsWith("/embeddings", StringComparison.Ordinal) ? LocalModel.LocalModels.EmbeddingModelId : ""),
        SystemPrompt = s.System,
        MaxTokens = s.MaxTokens,
        ExtraBody = s.Body,
    };

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var output = settings.Output ?? Path.ChangeExtension(settings.Input, ".requests.jsonl");
        var report = await BatchInputConverter.ConvertFileAsync(settings.Input, output, ToOptions(settings), cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"Wrote {report.Items} requests to {report.OutputPath}" +
                          (report.BlankLinesSkipped > 0 ? $" ({report.BlankLinesSkipped} blank lines skipped)" : "") +
                          (report.MetadataPath is null ? "" : $"; other columns in {report.MetadataPath}"));
        return CliApp.ExitSuccess;
    }
}
