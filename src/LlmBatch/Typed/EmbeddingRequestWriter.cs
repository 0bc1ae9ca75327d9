using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace LlmBatch.Typed;

/// <summary>
/// Turns one text and its <see cref="EmbeddingGenerationOptions"/> into an OpenAI embeddings body with a single
/// string input: one item is one request, so the engine's packing (<see cref="BatchOptions.PackSize"/>) is what puts
/// several texts into one HTTP request, with the same split-back and checkpointing as on the command line.
/// </summary>
internal static class EmbeddingRequestWriter
{
    /// <summary>Writes the body.</summary>
    /// <exception cref="ArgumentException">No model is given.</exception>
    public static byte[] Write(string text, EmbeddingGenerationOptions? options, string? defaultModel)
    {
        var model = options?.ModelId ?? defaultModel;
        if (string.IsNullOrWhiteSpace(model))
        {
            throw new ArgumentException("no model: set EmbeddingGenerationOptions.ModelId or the runner's EmbeddingModel.");
        }

        var buffer = new ArrayBufferWriter<byte>(text.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, model);
            writer.WriteString("input"u8, text);
            if (options?.Dimensions is { } dimensions)
            {
                writer.WriteNumber("dimensions"u8, dimensions);
            }

            foreach (var (key, value) in options?.AdditionalProperties ?? [])
            {
                if (key is not ("model" or "input" or "dimensions"))
                {
                    writer.WritePropertyName(key);
                    JsonSerializer.Serialize(writer, value, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(object)));
                }
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
