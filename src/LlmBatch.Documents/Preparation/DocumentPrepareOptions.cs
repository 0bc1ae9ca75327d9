using LlmBatch.Input;

namespace LlmBatch.Documents;

/// <summary>How <see cref="DocumentPreparer"/> turns documents into requests. Every property states its default.</summary>
public sealed class DocumentPrepareOptions
{
    /// <summary>The placeholders a document template may use.</summary>
    public static IReadOnlyList<string> Placeholders { get; } = ["text", "path", "chunk", "chunks", "page"];

    /// <summary>
    /// The request settings (endpoint, model, system prompt, max tokens, extra body) and the template, which may use
    /// <c>{text}</c> (the chunk's text), <c>{path}</c>, <c>{chunk}</c> (1-based), <c>{chunks}</c> and <c>{page}</c>.
    /// Its CSV/JSONL settings are not used. Required.
    /// </summary>
    public BatchInputConversionOptions Requests { get; set; } = new();

    /// <summary>How documents are cut (default: not cut; each document is one request).</summary>
    public ChunkingOptions Chunking { get; set; } = new();

    /// <summary>
    /// The results file these requests feed, or null (default). When it exists, results whose request changed since
    /// the last preparation (an edited document) or is gone (a removed one) are taken out of it, so a rerun sends them
    /// again and the output matches the documents as they are now.
    /// </summary>
    public string? OutputPath { get; set; }

    /// <summary>Files to leave out, by full path (default none): the run's own files when they live inside the input folder.</summary>
    public Func<string, bool>? Exclude { get; set; }

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        try
        {
            Requests.Validate();
        }
        catch (BatchOptionsException ex)
        {
            problems.AddRange(ex.Problems);
        }

        try
        {
            Chunking.Validate();
        }
        catch (BatchOptionsException ex)
        {
            problems.AddRange(ex.Problems);
        }

        try
        {
            foreach (var name in PromptTemplate.Parse(Requests.Template ?? "").Placeholders)
            {
                if (!Placeholders.Contains(name))
                {
                    problems.Add($"The template uses {{{name}}}; a document template may use {{text}}, {{path}}, {{chunk}}, {{chunks}} and {{page}}.");
                }
            }
        }
        catch (FormatException)
        {
            // Reported by Requests.Validate.
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems.Distinct().ToList());
        }
    }
}
