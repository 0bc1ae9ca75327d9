using LlmBatch.Input;

namespace LlmBatch.Documents;

/// <summary>How <see cref="DocumentMapReduce"/> combines a document's chunk answers into one. Every property states its default.</summary>
public sealed class DocumentMapReduceOptions
{
    /// <summary>The placeholders a reduce template may use.</summary>
    public static IReadOnlyList<string> Placeholders { get; } = ["text", "path", "chunks"];

    /// <summary>The manifest the map requests were prepared with (required).</summary>
    public string ManifestPath { get; set; } = "";

    /// <summary>The map requests: one per chunk, custom_id <c>path#0007</c> (required).</summary>
    public string MapRequestsPath { get; set; } = "";

    /// <summary>
    /// The final output: one line per document, custom_id = its path (required). The phases' own files go beside it:
    /// <c>OUTPUT.map.jsonl</c>, <c>OUTPUT.reduce-1.requests.jsonl</c>, <c>OUTPUT.reduce-1.jsonl</c>, <c>OUTPUT.reduce-1.plan.jsonl</c>…
    /// </summary>
    public string OutputPath { get; set; } = "";

    /// <summary>
    /// The reduce requests' settings (endpoint, model, system prompt, max tokens, extra body) and template, which may use
    /// <c>{text}</c> (the answers to combine, in order, each headed by the chunks it covers), <c>{path}</c> and
    /// <c>{chunks}</c> (the document's chunk count). Required.
    /// </summary>
    public BatchInputConversionOptions Reduce { get; set; } = new();

    /// <summary>The most tokens of answers one reduce request combines (required); more are reduced in a tree.</summary>
    public int ReduceTokens { get; set; }

    /// <summary>The reduce model's tokenizer (required).</summary>
    public IChunkTokenizer? Tokenizer { get; set; }

    /// <summary>
    /// Settings copied to every phase's job: retry of failures, grace period, validation, clock (default: the
    /// <see cref="BatchJobOptions"/> defaults). Its input and output paths are set per phase.
    /// </summary>
    public BatchJobOptions Job { get; set; } = new();

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ManifestPath))
        {
            problems.Add("ManifestPath is required.");
        }

        if (string.IsNullOrWhiteSpace(MapRequestsPath))
        {
            problems.Add("MapRequestsPath is required.");
        }

        if (string.IsNullOrWhiteSpace(OutputPath))
        {
            problems.Add("OutputPath is required.");
        }

        if (ReduceTokens < 1)
        {
            problems.Add($"ReduceTokens must be positive (was {ReduceTokens}).");
        }

        if (Tokenizer is null)
        {
            problems.Add("Tokenizer is required.");
        }

        try
        {
            Reduce.Validate();
            foreach (var name in PromptTemplate.Parse(Reduce.Template).Placeholders)
            {
                if (!Placeholders.Contains(name))
                {
                    problems.Add($"The reduce template uses {{{name}}}; it may use {{text}}, {{path}} and {{chunks}}.");
                }
            }
        }
        catch (BatchOptionsException ex)
        {
            problems.AddRange(ex.Problems.Select(p => "Reduce: " + p));
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}
