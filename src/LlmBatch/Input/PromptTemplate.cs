using System.Text;

namespace LlmBatch.Input;

/// <summary>
/// A prompt template such as <c>"Summarise in one sentence: {text}"</c>: <c>{name}</c> is replaced by the item's
/// text (<c>{text}</c>) or by the column or field of that name; <c>{{</c> and <c>}}</c> stand for literal braces.
/// </summary>
internal sealed class PromptTemplate
{
    private readonly string[] _literals;
    private readonly string[] _names;

    private PromptTemplate(string source, string[] literals, string[] names)
    {
        Source = source;
        _literals = literals;
        _names = names;
    }

    /// <summary>The template as written.</summary>
    public string Source { get; }

    /// <summary>The placeholder names, in order of appearance (repeats included).</summary>
    public IReadOnlyList<string> Placeholders => _names;

    /// <summary>Parses a template.</summary>
    /// <param name="template">The template text.</param>
    /// <returns>The parsed template.</returns>
    /// <exception cref="FormatException">A brace is unbalanced or a placeholder is empty.</exception>
    public static PromptTemplate Parse(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var literals = new List<string>();
        var names = new List<string>();
        var sb = new StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '{')
            {
                if (i + 1 < template.Length && template[i + 1] == '{')
                {
                    sb.Append('{');
                    i++;
                    continue;
                }

                var close = template.IndexOf('}', i + 1);
                if (close < 0)
                {
                    throw new FormatException($"The template has a '{{' at position {i + 1} with no closing '}}'. Write {{{{ for a literal brace.");
                }

                var name = template[(i + 1)..close].Trim();
                if (name.Length == 0 || name.Contains('{', StringComparison.Ordinal))
                {
                    throw new FormatException($"The template has an empty or malformed placeholder at position {i + 1}; use a column name, for example {{text}}.");
                }

                literals.Add(sb.ToString());
                sb.Clear();
                names.Add(name);
                i = close;
            }
            else if (c == '}')
            {
                if (i + 1 < template.Length && template[i + 1] == '}')
                {
                    sb.Append('}');
                    i++;
                    continue;
                }

                throw new FormatException($"The template has a '}}' at position {i + 1} with no opening '{{'. Write }}}} for a literal brace.");
            }
            else
            {
                sb.Append(c);
            }
        }

        literals.Add(sb.ToString());
        return new PromptTemplate(template, [.. literals], [.. names]);
    }

    /// <summary>Fills the template.</summary>
    /// <param name="lookup">Returns the value for a placeholder name, or null when the item has no such column.</param>
    /// <param name="missing">The first placeholder that had no value, or null.</param>
    /// <returns>The filled text; meaningless when <paramref name="missing"/> is set.</returns>
    public string Render(Func<string, string?> lookup, out string? missing)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        missing = null;
        if (_names.Length == 0)
        {
            return _literals[0];
        }

        var sb = new StringBuilder(_literals[0]);
        for (var i = 0; i < _names.Length; i++)
        {
            var value = lookup(_names[i]);
            if (value is null)
            {
                missing ??= _names[i];
            }

            sb.Append(value).Append(_literals[i + 1]);
        }

        return sb.ToString();
    }
}
