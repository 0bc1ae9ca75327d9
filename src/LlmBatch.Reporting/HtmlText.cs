using System.Text;

namespace LlmBatch.Reporting;

/// <summary>Escapes text for HTML that must also stay well-formed XML.</summary>
internal static class HtmlText
{
    public static string Escape(string text)
    {
        var html = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            switch (c)
            {
                case '<': html.Append("&lt;"); break;
                case '>': html.Append("&gt;"); break;
                case '&': html.Append("&amp;"); break;
                case '"': html.Append("&quot;"); break;
                case '\'': html.Append("&#39;"); break;

                // Control characters are not allowed in XML 1.0 (and mean nothing on a page): shown as a replacement mark.
                case < ' ' when c is not ('\t' or '\n' or '\r'):
                case '\uFFFE' or '\uFFFF':
                    html.Append('\uFFFD');
                    break;
                default: html.Append(c); break;
            }
        }

        return html.ToString();
    }
}
