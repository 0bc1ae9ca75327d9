using LlmBatch.Input;

namespace LlmBatch.Results;

/// <summary>A class an item can be put in.</summary>
/// <param name="Name">The label, as it appears in results, for example <c>positive</c>.</param>
/// <param name="Description">A sentence that describes the label; embedded in place of the bare name when set.</param>
public sealed record ClassificationLabel(string Name, string? Description = null)
{
    /// <summary>The text that stands for the label when it is embedded: the description, or else the name.</summary>
    public string EmbeddingText => string.IsNullOrWhiteSpace(Description) ? Name : Description;

    /// <summary>
    /// The texts whose embeddings, averaged, stand for the label in a classification by embeddings: the name, then
    /// each phrase of the description (split at commas and semicolons), for example <c>positive</c>,
    /// <c>I love it</c>, <c>works perfectly</c>. A small sentence model places a short phrase near the texts that say
    /// the same thing, but a long list of phrases in one input blurs into an average of its words; the mean of the
    /// phrases' own vectors keeps each of them (measured on the sample reviews in docs/benchmarks.md).
    /// </summary>
    public IReadOnlyList<string> EmbeddingTexts
    {
        get
        {
            var texts = new List<string> { Name };
            if (!string.IsNullOrWhiteSpace(Description))
            {
                foreach (var phrase in Description.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (!texts.Contains(phrase, StringComparer.OrdinalIgnoreCase))
                    {
                        texts.Add(phrase);
                    }
                }
            }

            return texts;
        }
    }

    /// <summary>Parses <c>positive,negative,neutral</c>.</summary>
    /// <param name="commaSeparated">Label names separated by commas.</param>
    /// <returns>The labels, in order.</returns>
    /// <exception cref="ArgumentException">Fewer than two labels, an empty one or a repeat.</exception>
    public static IReadOnlyList<ClassificationLabel> ParseList(string commaSeparated)
    {
        ArgumentNullException.ThrowIfNull(commaSeparated);
        var labels = new List<ClassificationLabel>();
        foreach (var part in commaSeparated.Split(','))
        {
            labels.Add(new ClassificationLabel(part.Trim()));
        }

        Check(labels, "the label list");
        return labels;
    }

    /// <summary>
    /// Reads a labels file: one label per line as <c>name: description</c> or a bare <c>name</c>; blank lines and
    /// lines starting with <c>#</c> are skipped.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The labels, in file order.</returns>
    /// <exception cref="BatchInputException">The file has problems, listed with their lines.</exception>
    public static async Task<IReadOnlyList<ClassificationLabel>> ReadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new BatchInputException(new BatchInputError(path, 0, "", "the labels file does not exist"));
        }

        var lines = await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false);
        var labels = new List<ClassificationLabel>();
        var errors = new List<BatchInputError>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = (colon < 0 ? line : line[..colon]).Trim();
            var description = colon < 0 ? null : line[(colon + 1)..].Trim();
            if (name.Length == 0)
            {
                errors.Add(new BatchInputError(path, i + 1, "label", "the label name before ':' is empty"));
            }
            else if (!seen.Add(name))
            {
                errors.Add(new BatchInputError(path, i + 1, "label", $"\"{name}\" is listed twice"));
            }
            else
            {
                labels.Add(new ClassificationLabel(name, string.IsNullOrEmpty(description) ? null : description));
            }
        }

        if (errors.Count == 0 && labels.Count < 2)
        {
            errors.Add(new BatchInputError(path, 0, "", $"at least two labels are needed (found {labels.Count})"));
        }

        if (errors.Count > 0)
        {
            throw new BatchInputException(errors);
        }

        return labels;
    }

    private static void Check(List<ClassificationLabel> labels, string what)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var l in labels)
        {
            if (l.Name.Length == 0)
            {
                throw new ArgumentException($"{what} has an empty label.");
            }

            if (!seen.Add(l.Name))
            {
                throw new ArgumentException($"{what} names \"{l.Name}\" twice.");
            }
        }

        if (labels.Count < 2)
        {
            throw new ArgumentException($"{what} needs at least two labels (found {labels.Count}).");
        }
    }
}
