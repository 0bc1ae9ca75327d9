using System.Text.Json;
using LlmBatch.Json;

namespace LlmBatch.BatchApi;

/// <summary>
/// Counts the inputs of an embeddings body, as the Batch API counts them against its 50,000 inputs per batch: a string
/// or one array of token ids is one input; an array of strings or of token arrays is one per element.
/// </summary>
internal static class EmbeddingInputs
{
    public static int Count(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return 1;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isInput = JsonText.Is(ref reader, "input"u8);
                reader.Read();
                if (isInput)
                {
                    return reader.TokenType == JsonTokenType.StartArray ? CountArray(ref reader) : 1;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // A body the input check let through is valid JSON; count it as one rather than fail a split.
        }

        return 1;
    }

    private static int CountArray(ref Utf8JsonReader reader)
    {
        var items = 0;
        var nested = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            items++;
            nested |= reader.TokenType is JsonTokenType.String or JsonTokenType.StartArray;
            reader.Skip();
        }

        // An array of numbers is one tokenised input.
        return nested ? items : Math.Min(items, 1);
    }
}
