using System.Text.Json;

namespace LlmBatch.Input;

/// <summary>
/// How <see cref="BatchInputConverter"/> turns plain text, CSV or JSONL into Batch API request lines.
/// Every property states its default; <see cref="Validate"/> reports every problem at once.
/// </summary>
public sealed class BatchInputConversionOptions
{
    /// <summary>The source format (default <see cref="BatchInputFormat.Auto"/>: by file extension).</summary>
    public BatchInputFormat Format { get; set; } = BatchInputFormat.Auto;

    /// <summary>
    /// The field separator of CSV input: any single character other than a quote or a line break, for example
    /// <c>','</c>, <c>'\t'</c> (TSV) or <c>';'</c> (CSV as many European spreadsheets save it). Null (default) means by
    /// extension: a tab for <c>.tsv</c>, a comma for anything else. A <c>.tsv</c> file is CSV input under
    /// <see cref="BatchInputFormat.Auto"/>.
    /// </summary>
    public char? Delimiter { get; set; }

    /// <summary>The CSV column or JSONL field that holds each item's text (default <c>text</c>). Ignored for plain text.</summary>
    public string TextColumn { get; set; } = "text";

    /// <summary>
    /// The CSV column or JSONL field that holds each item's custom_id, or null (default) to use a column named
    /// <c>custom_id</c> or <c>id</c> when there is one, and <c>item-N</c> (N the 1-based item number) otherwise.
    /// </summary>
    public string? IdColumn { get; set; }

    /// <summary>
    /// The prompt template (default <c>{text}</c>: the text unchanged). <c>{text}</c> is the item's text and
    /// <c>{column}</c> any other column or field.
    /// </summary>
    public string Template { get; set; } = "{text}";

    /// <summary>
    /// The endpoint of every request (default <c>/v1/chat/completions</c>). The text goes in as the user message
    /// (chat), <c>input</c> (embeddings, responses) or <c>prompt</c> (completions).
    /// </summary>
    public string Url { get; set; } = EndpointPaths.ChatCompletions;

    /// <summary>The <c>model</c> of every request. No default: it must be set.</summary>
    public string Model { get; set; } = "";

    /// <summary>A system message put before the user message of chat requests, or null (default) for none.</summary>
    public string? SystemPrompt { get; set; }

    /// <summary><c>max_tokens</c> of chat and completion requests, or null (default) to leave it out.</summary>
    public int? MaxTokens { get; set; }

    /// <summary>
    /// A JSON object whose properties are added to every body, for example <c>{"temperature":0}</c> or a
    /// <c>response_format</c>; null (default) for none. It must not set <c>model</c>, <c>messages</c>, <c>input</c> or <c>prompt</c>.
    /// </summary>
    public string? ExtraBody { get; set; }

    /// <summary>The delimiter for <paramref name="path"/>: <see cref="Delimiter"/>, or by extension when it is null.</summary>
    internal char ResolveDelimiter(string path) =>
        Delimiter ?? (Path.GetExtension(path).Equals(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',');

    /// <summary>Checks every option and throws one exception listing every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(TextColumn))
        {
            problems.Add("TextColumn must name a column or field.");
        }

        if (IdColumn is not null && string.IsNullOrWhiteSpace(IdColumn))
        {
            problems.Add("IdColumn must be null or name a column or field.");
        }

        try
        {
            PromptTemplate.Parse(Template ?? "");
        }
        catch (FormatException ex)
        {
            problems.Add(ex.Message);
        }

        if (Delimiter is '"' or '\r' or '\n')
        {
            problems.Add($"Delimiter cannot be {CsvDelimiter.Describe(Delimiter.Value)}; use a comma, a tab, a semicolon or another single character.");
        }

        if (!BatchLineParser.TryGetEndpoint(Url ?? "", out _))
        {
            problems.Add($"Url \"{Url}\" is not supported; use {EndpointPaths.Supported}.");
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            problems.Add("Model must be set (for example gpt-4o-mini, or local/all-MiniLM-L6-v2 for offline embeddings).");
        }

        if (MaxTokens is < 1 or > BatchOptions.MaxOutputTokensLimit)
        {
            problems.Add($"MaxTokens must be between 1 and {BatchOptions.MaxOutputTokensLimit} (was {MaxTokens}).");
        }

        if (ExtraBody is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(ExtraBody);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    problems.Add("ExtraBody must be a JSON object.");
                }
                else
                {
                    foreach (var p in doc.RootElement.EnumerateObject())
                    {
                        if (p.Name is "model" or "messages" or "input" or "prompt")
                        {
                            problems.Add($"ExtraBody must not set \"{p.Name}\"; it is built from the item.");
                        }
                    }
                }
            }
            catch (JsonException ex)
            {
                problems.Add($"ExtraBody is not valid JSON: {ex.Message}");
            }
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}
