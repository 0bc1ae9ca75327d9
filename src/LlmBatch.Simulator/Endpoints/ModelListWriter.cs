using System.Buffers;
using System.Text.Json;

namespace LlmBatch.Simulator;

/// <summary>Writes the <c>GET /v1/models</c> list.</summary>
internal static class ModelListWriter
{
    public static void Write(IBufferWriter<byte> output, IEnumerable<string> models)
    {
        using var w = new Utf8JsonWriter(output);
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        foreach (var id in models)
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "model");
            w.WriteNumber("created", 1_700_000_000);
            w.WriteString("owned_by", "llmbatch-simulator");
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
