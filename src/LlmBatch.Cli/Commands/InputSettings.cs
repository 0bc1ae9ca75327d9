using System.ComponentModel;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Input;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary>
/// The options that turn plain text, CSV or JSONL plus a template into request lines, shared by <c>prepare</c>,
/// <c>run</c> and <c>classify</c> so that the same flags mean the same thing everywhere. Unset options are null, so
/// a command can tell which were given (<see cref="AnyGiven"/>) and apply its own defaults.
/// </summary>
internal abstract class InputSettings : CommandSettings
{
    [CommandArgument(0, "<INPUT>")]
    [Description("Plain text (one item per line), CSV with a header, or JSONL; for run also a Batch API JSONL file, sent as it is. Or documents: a folder (recursive), a glob such as 'docs/**/*.md', or a .md/.html/.pdf/.docx file; .txt and any other text files in a folder are documents too.")]
    public string Input { get; init; } = "";

    [CommandOption("--format <FORMAT>")]
    [Description("auto (by extension: .csv and .tsv are CSV, .jsonl JSONL, anything else plain text), text, csv or jsonl. Default auto.")]
    [TypeConverter(typeof(ChoiceConverter<BatchInputFormat>))]
    public BatchInputFormat Format { get; init; } = BatchInputFormat.Auto;

    [CommandOption("--delimiter <CHAR>")]
    [Description("The CSV field separator: one character such as ',' or ';' or '|', or tab (also \\t). Default: tab for .tsv, comma otherwise.")]
    public string? Delimiter { get; init; }

    [CommandOption("--column <NAME>")]
    [Description("The CSV column or JSONL field holding the text. Default text.")]
    public string? Column { get; init; }

    [CommandOption("--id-column <NAME>")]
    [Description("The column holding each item's custom_id. Default: custom_id or id when present, else item-N.")]
    public string? IdColumn { get; init; }

    [CommandOption("--template <TEMPLATE>")]
    [Description("The prompt, with {text} for the item's text and {column} for other columns. Default {text}.")]
    public string? Template { get; init; }

    [CommandOption("-m|--model <MODEL>")]
    [Description("The model of every request. Default local/all-MiniLM-L6-v2 (the embedded model) for embeddings; required for chat.")]
    public string? Model { get; init; }

    [CommandOption("--system <TEXT>")]
    [Description("A system message for chat requests.")]
    public string? System { get; init; }

    [CommandOption("--max-tokens <N>")]
    [Description("max_tokens of each request.")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? MaxTokens { get; init; }

    [CommandOption("--body <JSON>")]
    [Description("A JSON object merged into every body, e.g. '{\"temperature\":0}'.")]
    public string? Body { get; init; }

    [CommandOption("--chunk-tokens <N>")]
    [Description("Documents: cut each into chunks of at most N tokens (the model's tokenizer), at sections, then paragraphs, sentences, words. Default for embeddings: the model's input limit (254 for the embedded model, 8191 for text-embedding-*); for chat: whole documents.")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? ChunkTokens { get; init; }

    [CommandOption("--chunk-overlap <N>")]
    [Description("Documents: tokens each chunk repeats from the end of the one before (default 0).")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? ChunkOverlap { get; init; }

    /// <summary>Checks the item options' ranges, each problem naming its flag.</summary>
    public override Spectre.Console.ValidationResult Validate()
    {
        var problems = new List<string>();
        CheckItemFlags(problems);
        return problems.Count == 0 ? Spectre.Console.ValidationResult.Success() : Spectre.Console.ValidationResult.Error(string.Join("; ", problems));
    }

    /// <summary>Adds a problem for each item option out of range; commands that validate more call it first.</summary>
    internal void CheckItemFlags(List<string> problems)
    {
        CliValues.CheckRange(problems, "--max-tokens", MaxTokens, 1, BatchOptions.MaxOutputTokensLimit);
        if (Delimiter is not null && !CsvDelimiter.TryParse(Delimiter, out _))
        {
            problems.Add($"--delimiter must be one character (such as ',' ';' '|') or tab, not '{Delimiter}'");
        }
    }

    /// <summary>True when any option of this class was given: the input is then items to prepare, not request lines.</summary>
    internal virtual bool AnyGiven =>
        Format != BatchInputFormat.Auto || Delimiter is not null || Column is not null || IdColumn is not null || Template is not null
        || Model is not null || System is not null || MaxTokens is not null || Body is not null || IsDocuments;

    /// <summary>True when the input is documents: a folder, a glob, a document file, or chunking was asked for.</summary>
    internal virtual bool IsDocuments => ChunkTokens is not null || ChunkOverlap is not null || Documents.DocumentSource.IsDocuments(Input);

    /// <summary>The conversion these options describe, with the command's own defaults for what was not given.</summary>
    internal BatchInputConversionOptions ToConversionOptions(string url, string defaultTemplate = "{text}") => new()
    {
        Format = Format,
        Delimiter = CsvDelimiter.TryParse(Delimiter, out var delimiter) ? delimiter : null,
        TextColumn = Column ?? "text",
        IdColumn = IdColumn,
        Template = Template ?? defaultTemplate,
        Url = url,
        Model = Model ?? (url.EndsWith(EndpointPaths.EmbeddingsRelative, StringComparison.Ordinal) ? LocalModel.LocalModels.EmbeddingModelId : ""),
        SystemPrompt = System,
        MaxTokens = MaxTokens,
        ExtraBody = Body,
    };
}
