using System.Text;
using System.Text.Json;
using LlmBatch.Json;

namespace LlmBatch.Output;

/// <summary>Pulls <c>error.message</c> out of an OpenAI-style error body, for the item's error line.</summary>
internal static class ErrorMessageReader
{
    public static string Read(ReadOnlySpan<byte> body, int statusCode)
    {
        try
        {
            var reader = new Utf8JsonReader(body, JsonLimits.Reader);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (JsonText.Is(ref reader, "error"u8))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.String)
                        {
                            return JsonText.GetLenient(ref reader);
                        }

                        if (reader.TokenType == JsonTokenType.StartObject)
                        {
                            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                            {
                                if (JsonText.Is(ref reader, "message"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
                                {
                                    return JsonText.GetLenient(ref reader);
                                }

                                reader.Read();
                                reader.Skip();
                            }
                        }

                        break;
                    }

                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page): fall through to a short excerpt.
        }

        if (body.IsEmpty)
        {
            return $"HTTP {statusCode} with an empty body";
        }

        var text = Encoding.UTF8.GetString(body[..Math.Min(body.Length, 200)]).ReplaceLineEndings(" ").Trim();
        return $"HTTP {statusCode}: {text}";
    }
}
