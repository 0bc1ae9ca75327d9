using System.ComponentModel;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Results;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary><c>llmbatch merge RESULTS</c>: the results manager on the command line.</summary>
internal sealed class MergeCommand : AsyncCommand<MergeCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RESULTS>")]
        [Description("A results file: llmbatch output or a provider's Batch API output.")]
        public string Results { get; init; } = "";

        [CommandOption("-o|--output <PREFIX>")]
        [Description("Output files start with this (default: RESULTS without extension): PREFIX.merged.jsonl/.csv, PREFIX.npy + PREFIX.ids.txt, PREFIX.classes.csv.")]
        public string? Output { get; init; }

        [CommandOption("--kind <KIND>")]
        [Description("auto (default), text, embeddings or classification.")]
        [TypeConverter(typeof(ChoiceConverter<BatchMergeKind>))]
        public BatchMergeKind Kind { get; init; } = BatchMergeKind.Auto;

        [CommandOption("--csv")]
        [Description("Write the text table as CSV instead of JSONL.")]
        public bool Csv { get; init; }

        [CommandOption("--parquet")]
        [Description("Also write Parquet, in row groups: embeddings as PREFIX.parquet, columns custom_id (string) and embedding (list<float>), rows as in PREFIX.npy; text as PREFIX.merged.parquet, columns custom_id, status, content, finish_reason, error_code, error_message, prompt_tokens, completion_tokens, total_tokens, metadata (JSON), in input order. For a run over documents (RESULTS.documents.jsonl beside it): one row per chunk with path, chunk, start, end, overlap, page, page_end, tokens, text and vector.")]
        public bool Parquet { get; init; }

        [CommandOption("--documents <FILE>")]
        [Description("The document manifest of the run (default: RESULTS.documents.jsonl when it exists; prepare writes REQUESTS.documents.jsonl).")]
        public string? Documents { get; init; }

        [CommandOption("--document-vectors")]
        [Description("Documents, with --parquet: also write PREFIX.documents.parquet, one mean-pooled (unit-length) vector per document.")]
        public bool DocumentVectors { get; init; }

        [CommandOption("--metadata <FILE>")]
        [Description("The .metadata.jsonl written by prepare: rows in input order, with its columns.")]
        public string? Metadata { get; init; }

        [CommandOption("--labels <LIST>")]
        [Description("Comma-separated labels, for a classification.")]
        public string? Labels { get; init; }

        [CommandOption("--labels-file <FILE>")]
        [Description("A labels file (name: description per line), for a classification.")]
        public string? LabelsFile { get; init; }

        [CommandOption("--gold-column <NAME>")]
        [Description("The metadata column holding the true label: accuracy and a confusion matrix.")]
        public string? GoldColumn { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.Results))
        {
            throw new BatchInputException(new BatchInputError(settings.Results, 0, "", "the results file does not exist"));
        }

        var labels = await ResultsMerge.ReadLabelsAsync(settings.Labels, settings.LabelsFile, cancellationToken).ConfigureAwait(false);
        var documents = settings.Documents ?? LlmBatch.Documents.DocumentManifest.PathFor(settings.Results);
        if (settings.Documents is not null && !File.Exists(documents))
        {
            throw new BatchInputException(new BatchInputError(documents, 0, "", "the document manifest does not exist"));
        }

        if (labels is null && settings.Metadata is null && File.Exists(documents))
        {
            var failed = await ResultsMerge.MergeDocumentsAsync(settings.Results, documents, settings.Output ?? ResultsMerge.DefaultPrefix(settings.Results), settings.Parquet, settings.DocumentVectors, Console.Out, cancellationToken).ConfigureAwait(false);
            return failed > 0 ? CliApp.ExitItemsFailed : CliApp.ExitSuccess;
        }

        var metadata = settings.Metadata;
        if (metadata is null && settings.GoldColumn is not null)
        {
            throw new BatchOptionsException(["--gold-column needs --metadata (the .metadata.jsonl written by prepare)."]);
        }

        var prefix = settings.Output ?? ResultsMerge.DefaultPrefix(settings.Results);
        ResultsMerge.CheckTargets(prefix, settings.Results, metadata);
        var options = new BatchMergeOptions
        {
            OutputPrefix = prefix,
            Kind = labels is not null && settings.Kind == BatchMergeKind.Auto ? BatchMergeKind.Classification : settings.Kind,
            TextFormat = settings.Csv ? TextTableFormat.Csv : TextTableFormat.Jsonl,
            MetadataPath = metadata,
            Labels = labels?.Select(l => l.Name).ToList(),
            GoldColumn = settings.GoldColumn,
        };
        var report = await ResultsMerge.MergeAndPrintAsync(BatchOutputFile.ReadAsync(settings.Results, cancellationToken), options, settings.Parquet, Console.Out, cancellationToken).ConfigureAwait(false);
        return report.Failed > 0 ? CliApp.ExitItemsFailed : CliApp.ExitSuccess;
    }
}
