using System.Text.Json;

namespace LlmBatch.Reporting;

/// <summary>Writes the figures as <c>summary.json</c>: nested objects following each figure's path.</summary>
internal static class SummaryJsonWriter
{
    public static void Write(Stream stream, IReadOnlyList<ReportFigure> figures)
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        var open = new List<string>();
        foreach (var figure in figures)
        {
            var path = figure.Path;
            var common = 0;
            while (common < open.Count && common < path.Count - 1 && open[common] == path[common])
            {
                common++;
            }

            for (var i = open.Count; i > common; i--)
            {
                writer.WriteEndObject();
            }

            open.RemoveRange(common, open.Count - common);
            for (var i = common; i < path.Count - 1; i++)
            {
                writer.WriteStartObject(path[i]);
                open.Add(path[i]);
            }

            var name = path[^1];
            if (ReferenceEquals(figure.Value, ReportFigures.EmptyGroup))
            {
                writer.WriteStartObject(name);
                writer.WriteEndObject();
                continue;
            }

            switch (figure.Value)
            {
                case null: writer.WriteNull(name); break;
                case string text: writer.WriteString(name, text); break;
                case long l: writer.WriteNumber(name, l); break;
                case double d: writer.WriteNumber(name, d); break;
                case decimal m: writer.WriteNumber(name, m); break;
                default: throw new InvalidOperationException($"Unexpected figure type {figure.Value.GetType()} at {figure.Pointer}.");
            }
        }

        for (var i = open.Count; i > 0; i--)
        {
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }
}
