using System.Text.Json;
using System.Text.Unicode;
using LlmBatch.Input;
using LlmBatch.Json;

namespace LlmBatch.Resilience;

/// <summary>
/// Checks that a 2xx body is a complete JSON object carrying the member its endpoint must return, without building a DOM:
/// a truncated or garbled 200 is then retried instead of being recorded as a success. The body must be UTF-8 (JSON's
/// only encoding: anything else would poison the output file and every reader of it), and the member must be an array
/// of objects, as every reader of the result expects (<c>choices</c>; <c>data</c> for embeddings; <c>output</c> for
/// responses).
/// </summary>
internal static class ResponseShape
{
    public static bool IsValid(ReadOnlySpan<byte> body, BatchEndpointKind endpoint)
    {
        if (body.IsEmpty || !Utf8.IsValid(body))
        {
            return false;
        }

        var required = endpoint switch
        {
            BatchEndpointKind.Embeddings => "data"u8,
            BatchEndpointKind.Responses => "output"u8,
            _ => "choices"u8,
        };

        try
        {
            var reader = new Utf8JsonReader(body, JsonLimits.Reader);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var found = false;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0)
                {
                    // The object closed: anything but trailing whitespace after it is garbage.
                    return found && !reader.Read();
                }

                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                {
                    var isRequired = JsonText.Is(ref reader, required);
                    reader.Read();
                    if (isRequired)
                    {
                        // A repeated member is as ambiguous as a missing one.
                        if (found || !IsArrayOfObjects(ref reader))
                        {
                            return false;
                        }

                        found = true;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // Reader on the member's value; leaves it on the value's last token.
    private static bool IsArrayOfObjects(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            reader.Skip();
        }

        return true;
    }
}
