namespace LlmBatch.Reporting;

/// <summary>
/// One figure of <c>summary.json</c>: its place (a JSON Pointer such as <c>/items/total</c>) and its value (a long,
/// double, decimal, string or null). The HTML report shows each under the same pointer in a <c>data-figure</c> attribute.
/// </summary>
internal sealed record ReportFigure(IReadOnlyList<string> Path, object? Value)
{
    public string Pointer => "/" + string.Join('/', Path.Select(p => p.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)));
}
