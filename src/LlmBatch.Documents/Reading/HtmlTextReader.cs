using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace LlmBatch.Documents;

/// <summary>
/// The visible text of an HTML page (AngleSharp): scripts, styles, templates and the head are left out, whitespace is
/// collapsed as a browser would (except in <c>pre</c>), block elements become paragraphs and h1–h6 start sections.
/// </summary>
internal static class HtmlTextReader
{
    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object", "canvas", "select", "button",
    };

    private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "header", "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "thead", "tfoot", "tr", "ul", "h1", "h2", "h3", "h4", "h5", "h6",
    };

    public static IEnumerable<TextBlock> Read(Stream html)
    {
        var document = new HtmlParser().ParseDocument(html);
        var walker = new Walker();
        if (document.Body is { } body)
        {
            walker.Visit(body, preformatted: false);
        }

        walker.Flush();
        var joiner = new BlockJoiner();
        foreach (var (text, boundary) in walker.Units)
        {
            if (joiner.Add(text, boundary) is { } done)
            {
                yield return done;
            }
        }

        if (joiner.Finish() is { } last)
        {
            yield return last;
        }
    }

    private sealed class Walker
    {
        private readonly StringBuilder _current = new();
        private BlockBoundary _boundary = BlockBoundary.Paragraph;

        public List<(string Text, BlockBoundary Boundary)> Units { get; } = [];

        public void Visit(INode node, bool preformatted)
        {
            foreach (var child in node.ChildNodes)
            {
                switch (child)
                {
                    case IText text:
                        Append(text.Data, preformatted);
                        break;
                    case IElement element when Skipped.Contains(element.LocalName):
                        break;
                    case IElement element when element.LocalName == "br":
                        TrimEndSpaces();
                        _current.Append('\n');
                        break;
                    case IElement element when element.LocalName is "td" or "th":
                        if (_current.Length > 0 && _current[^1] is not ('\n' or '\t'))
                        {
                            TrimEndSpaces();
                            _current.Append('\t');
                        }

                        Visit(element, preformatted);
                        break;
                    case IElement element when Blocks.Contains(element.LocalName):
                        var heading = element.LocalName.Length == 2 && element.LocalName[0] == 'h' && char.IsAsciiDigit(element.LocalName[1]);
                        Flush();
                        if (heading)
                        {
                            _boundary = BlockBoundary.Section;
                        }

                        Visit(element, preformatted || element.LocalName == "pre");
                        Flush();
                        break;
                    case IElement element:
                        Visit(element, preformatted);
                        break;
                }
            }
        }

        public void Flush()
        {
            var text = _current.ToString().Trim();
            _current.Clear();
            if (text.Length > 0)
            {
                Units.Add((text, _boundary));
                _boundary = BlockBoundary.Paragraph;
            }
        }

        private void Append(string data, bool preformatted)
        {
            if (preformatted)
            {
                _current.Append(data);
                return;
            }

            foreach (var c in data)
            {
                if (char.IsWhiteSpace(c))
                {
                    if (_current.Length > 0 && !char.IsWhiteSpace(_current[^1]))
                    {
                        _current.Append(' ');
                    }
                }
                else
                {
                    _current.Append(c);
                }
            }
        }

        private void TrimEndSpaces()
        {
            while (_current.Length > 0 && _current[^1] == ' ')
            {
                _current.Length--;
            }
        }
    }
}
