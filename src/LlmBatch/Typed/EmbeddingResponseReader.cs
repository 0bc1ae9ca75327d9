using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace LlmBatch.Typed;

/// <summary>
/// Reads the first vector of an OpenAI embeddings body into an <see cref="Embedding{T}"/>, whether the server sent it
/// as a float array or (<c>encoding_format: base64</c>) as little-endian float32 bytes.
/// </summary>
internal static class EmbeddingResponseReader
{
    /// <summary>Reads a body.</summary>
    /// <exception cref="JsonException">The body holds no embedding.</exception>
    public static Embedding<float> Read(ReadOnlyMemory<byte> body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array
            || data.GetArrayLength() == 0 || !data[0].TryGetProperty("embedding", out var vector))
        {
            throw new JsonException("the response has no data[0].embedding.");
        }

        var values = vector.ValueKind switch
        {
            JsonValueKind.Array => Floats(vector),
            JsonValueKind.String => Base64(vector.GetBytesFromBase64()),
            _ => throw new JsonException("data[0].embedding is neither an array nor a base64 string."),
        };
        return new Embedding<float>(values)
        {
            ModelId = root.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String ? model.GetString() : null,
        };
    }

    private static float[] Floats(JsonElement vector)
    {
        var values = new float[vector.GetArrayLength()];
        var i = 0;
        foreach (var value in vector.EnumerateArray())
        {
            values[i++] = value.GetSingle();
        }

        return values;
    }

    private static float[] Base64(byte[] bytes)
    {
        if (bytes.Length % sizeof(float) != 0)
        {
            throw new JsonException("data[0].embedding is not a whole number of float32 values.");
        }

        var values = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        }

        return values;
    }
}
