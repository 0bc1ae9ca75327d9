using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Json;
using Microsoft.Extensions.AI;

namespace LlmBatch.Providers;

/// <summary>
/// Answers <c>/v1/embeddings</c> requests through an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> and writes
/// OpenAI's <c>list</c> body, with vectors as JSON numbers or, for <c>encoding_format: "base64"</c>, as little-endian
/// float32 bytes in base64.
/// </summary>
internal sealed class EmbeddingGeneratorBatchHandler : IBatchHandler
{
    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;

    /// <summary>Creates the handler.</summary>
    /// <param name="generator">The embedding generator.</param>
    public EmbeddingGeneratorBatchHandler(IEmbeddingGenerator<string, Embedding<float>> generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        _generator = generator;
    }

    /// <summary>Leaves the client alone: it belongs to whoever made it (the container, in dependency injection).</summary>
    public void Dispose()
    {
    }

    /// <inheritdoc />
    public async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var request = item.Request;
        if (request.Endpoint != BatchEndpointKind.Embeddings)
        {
            return OpenAIErrorResponse.UnsupportedEndpoint(request, EndpointPaths.Embeddings);
        }

        EmbeddingRequest parsed;
        try
        {
            parsed = Read(request.Body);
        }
        catch (ProviderRequestException ex)
        {
            return OpenAIErrorResponse.InvalidRequest(ex.Message, ex.Param);
        }

        var options = new EmbeddingGenerationOptions { ModelId = parsed.Model, Dimensions = parsed.Dimensions };
        GeneratedEmbeddings<Embedding<float>> embeddings;
        try
        {
            embeddings = await _generator.GenerateAsync(parsed.Inputs, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && OpenAIErrorResponse.TryGetStatus(ex, out var status))
        {
            return OpenAIErrorResponse.FromStatus(status, ex.Message);
        }

        if (embeddings.Count != parsed.Inputs.Count)
        {
            // A generator that loses inputs would misalign every index after the gap; report it instead of guessing.
            throw new InvalidOperationException($"The embedding generator returned {embeddings.Count} embeddings for {parsed.Inputs.Count} inputs.");
        }

        long? promptTokens = embeddings.Usage?.InputTokenCount ?? (item.EstimatedPromptTokens >= 0 ? item.EstimatedPromptTokens : null);
        var model = embeddings.Count > 0 ? embeddings[0].ModelId : null;
        return new BatchResponse
        {
            StatusCode = 200,
            Body = Write(embeddings, model ?? request.Model, parsed.Base64, promptTokens, embeddings.Usage?.TotalTokenCount),
        };
    }

    /// <summary>Writes OpenAI's embeddings body.</summary>
    internal static ReadOnlyMemory<byte> Write(GeneratedEmbeddings<Embedding<float>> embeddings, string model, bool base64, long? promptTokens, long? totalTokens)
    {
        var estimate = 128;
        foreach (var e in embeddings)
        {
            estimate += 64 + (e.Vector.Length * (base64 ? 6 : 14));
        }

        var buffer = new ArrayBufferWriter<byte>(estimate);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("object"u8, "list"u8);
            writer.WriteStartArray("data"u8);
            for (var i = 0; i < embeddings.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("object"u8, "embedding"u8);
                writer.WriteNumber("index"u8, i);
                var vector = embeddings[i].Vector.Span;
                if (base64)
                {
                    writer.WriteBase64String("embedding"u8, LittleEndianBytes(vector));
                }
                else
                {
                    writer.WriteStartArray("embedding"u8);
                    foreach (var f in vector)
                    {
                        // Utf8JsonWriter writes the shortest text that parses back to the same float.
                        writer.WriteNumberValue(f);
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("model"u8, model);
            if (promptTokens is { } prompt)
            {
                writer.WriteStartObject("usage"u8);
                writer.WriteNumber("prompt_tokens"u8, prompt);
                writer.WriteNumber("total_tokens"u8, totalTokens ?? prompt);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    private static ReadOnlySpan<byte> LittleEndianBytes(ReadOnlySpan<float> vector)
    {
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(vector);
        }

        var bytes = new byte[vector.Length * sizeof(float)];
        for (var i = 0; i < vector.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
        }

        return bytes;
    }

    private static EmbeddingRequest Read(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, JsonLimits.Document);
        }
        catch (JsonException ex)
        {
            throw new ProviderRequestException($"the body is not valid JSON: {ex.Message}", null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ProviderRequestException("the body must be a JSON object", null);
            }

            List<string>? inputs = null;
            string? model = null;
            int? dimensions = null;
            var base64 = false;
            foreach (var property in root.EnumerateObject())
            {
                var value = property.Value;
                switch (property.Name)
                {
                    case "input":
                        inputs = ReadInput(value);
                        break;
                    case "model":
                        model = value.ValueKind == JsonValueKind.String ? JsonText.GetLenient(value) : null;
                        break;
                    case "dimensions":
                        dimensions = value.ValueKind switch
                        {
                            JsonValueKind.Null => null,
                            JsonValueKind.Number when value.TryGetInt32(out var d) && d > 0 => d,
                            _ => throw new ProviderRequestException("dimensions: must be a positive integer", "dimensions"),
                        };
                        break;
                    case "encoding_format":
                        base64 = value.ValueKind switch
                        {
                            JsonValueKind.Null => false,
                            JsonValueKind.String when value.ValueEquals("float") => false,
                            JsonValueKind.String when value.ValueEquals("base64") => true,
                            _ => throw new ProviderRequestException("encoding_format: must be \"float\" or \"base64\"", "encoding_format"),
                        };
                        break;
                    default:
                        break;
                }
            }

            return inputs is null
                ? throw new ProviderRequestException("input: is required", "input")
                : new EmbeddingRequest(inputs, model, dimensions, base64);
        }
    }

    private static List<string> ReadInput(JsonElement value)
    {
        const string TokenIds = "input: token-id arrays are not supported by an IEmbeddingGenerator provider; send the text as a string or an array of strings";
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return [JsonText.GetLenient(value)];
            case JsonValueKind.Array:
                if (value.GetArrayLength() == 0)
                {
                    throw new ProviderRequestException("input: must not be an empty array", "input");
                }

                var inputs = new List<string>(value.GetArrayLength());
                foreach (var element in value.EnumerateArray())
                {
                    inputs.Add(element.ValueKind switch
                    {
                        JsonValueKind.String => JsonText.GetLenient(element),
                        JsonValueKind.Number or JsonValueKind.Array => throw new ProviderRequestException(TokenIds, "input"),
                        _ => throw new ProviderRequestException("input: must be a string or an array of strings", "input"),
                    });
                }

                return inputs;
            default:
                throw new ProviderRequestException("input: must be a string or an array of strings", "input");
        }
    }

    private sealed record EmbeddingRequest(List<string> Inputs, string? Model, int? Dimensions, bool Base64);
}
