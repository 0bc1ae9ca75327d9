using System.Text.Json;

namespace LlmBatch;

/// <summary>
/// Checks that a 2xx body is a complete JSON object carrying the member its endpoint must return, without building a DOM:
/// a truncated or garbled 200 is then retried instead of being recorded as a success.
/// </summary>
internal static class ResponseShape
{
    public static bool IsValid(ReadOnlySpan<byte> body, BatchEndpointKind endpoint)
    {
        if (body.IsEmpty)
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
            var reader = new Utf8JsonReader(body);
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
                    if (reader.ValueTextEquals(required))
                    {
                        found = true;
                    }

                    reader.Read();
                    reader.Skip();
                }
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
