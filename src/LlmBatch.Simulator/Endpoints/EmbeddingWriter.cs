using System.Buffers;
using System.Text.Json;

namespace LlmBatch.Simulator;

/// <summary>Writes an embeddings body: one unit vector per input, as floats or base64.</summary>
internal static class EmbeddingWriter
{
    public static void Write(IBufferWriter<byte> output, ParsedRequest request, int dimensions, ContentGenerator generator, int promptTokens)
    {
        var vector = ArrayPool<float>.Shared.Rent(dimensions);
        try
        {
            var span = vector.AsSpan(0, dimensions);
            using var w = new Utf8JsonWriter(output);
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            for (var i = 0; i < request.InputHashes.Count; i++)
            {
                generator.Embedding(request.InputHashes[i], span);
                w.WriteStartObject();
                w.WriteString("object", "embedding");
                w.WriteNumber("index", i);
                if (request.Base64)
                {
                    w.WriteString("embedding", ContentGenerator.ToBase64(span));
                }
                else
                {
                    w.WriteStartArray("embedding");
                    foreach (var x in span)
                    {
                        w.WriteNumberValue(x);
                    }

                    w.WriteEndArray();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("model", request.Model);
            w.WriteStartObject("usage");
            w.WriteNumber("prompt_tokens", promptTokens);
            w.WriteNumber("total_tokens", promptTokens);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        finally
        {
            ArrayPool<float>.Shared.Return(vector);
        }
    }
}
