using System.Text.Json;
using System.Text.Unicode;
using LlmBatch.Input;
using LlmBatch.Json;
using LlmBatch.RateLimiting;

namespace LlmBatch.Providers;

/// <summary>
/// What every layer needs from a response body, read in one forward pass without a DOM: the token usage (for the
/// rate budget, the cost ledger, telemetry and the output line) and whether the body is a complete UTF-8 JSON object
/// with the member its endpoint must return (for the retry classifier, the response cache and the engine). A
/// <see cref="BatchResponse"/> reads its body once, on first use, and keeps these facts, as M.E.AI's leaf client fills
/// <c>ChatResponse.Usage</c> once: before, a successful body was parsed up to five times on its way up.
/// </summary>
/// <remarks>
/// The shape rules are <see cref="Resilience.ResponseShape"/>'s: the member (<c>choices</c>; <c>data</c> for
/// embeddings; <c>output</c> for responses) must be an array of objects and appear once, and nothing but whitespace may
/// follow the object. Usage is read from the first top-level <c>usage</c> object, even when the body breaks later.
/// </remarks>
internal readonly record struct ResponseFacts
{
    private const byte UsageFlag = 1;
    private const byte CompleteFlag = 2;
    private const byte ChoicesFlag = 4;
    private const byte DataFlag = 8;
    private const byte OutputFlag = 16;

    private readonly byte _flags;

    private ResponseFacts(byte flags, int promptTokens, int completionTokens, int cachedPromptTokens)
    {
        _flags = flags;
        PromptTokens = promptTokens;
        CompletionTokens = completionTokens;
        CachedPromptTokens = cachedPromptTokens;
    }

    /// <summary>True when the body has a readable top-level <c>usage</c>.</summary>
    public bool UsageReported => (_flags & UsageFlag) != 0;

    /// <summary>Prompt (input) tokens, the cached ones included; 0 when not reported.</summary>
    public int PromptTokens { get; }

    /// <summary>Completion (output) tokens; 0 for embeddings or when not reported.</summary>
    public int CompletionTokens { get; }

    /// <summary>Prompt tokens the provider served from its prompt cache; 0 when not reported.</summary>
    public int CachedPromptTokens { get; }

    /// <summary>The body is one complete JSON object, nothing after it, and valid UTF-8.</summary>
    public bool IsComplete => (_flags & CompleteFlag) != 0;

    /// <summary>True when the body is a complete UTF-8 JSON object carrying the member <paramref name="endpoint"/> must return.</summary>
    public bool HasShapeOf(BatchEndpointKind endpoint)
    {
        var member = endpoint switch
        {
            BatchEndpointKind.Embeddings => DataFlag,
            BatchEndpointKind.Responses => OutputFlag,
            _ => ChoicesFlag,
        };
        return (_flags & (CompleteFlag | member)) == (CompleteFlag | member);
    }

    /// <summary>Reads a body.</summary>
    /// <param name="body">The response body (UTF-8 JSON, or anything a broken server sends).</param>
    /// <returns>Its facts; a body that is not JSON has no usage and no shape.</returns>
    public static ResponseFacts Read(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return default;
        }

        byte flags = 0;
        byte seen = 0;
        int prompt = 0, completion = 0, cached = 0;
        var usageRead = false;
        try
        {
            var reader = new Utf8JsonReader(body, JsonLimits.Reader);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return default;
            }

            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0)
                {
                    // The object closed: anything but trailing whitespace after it is garbage.
                    if (!reader.Read() && Utf8.IsValid(body))
                    {
                        flags |= CompleteFlag;
                    }

                    break;
                }

                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
                {
                    continue;
                }

                var member = JsonText.Is(ref reader, "choices"u8) ? ChoicesFlag
                    : JsonText.Is(ref reader, "data"u8) ? DataFlag
                    : JsonText.Is(ref reader, "output"u8) ? OutputFlag
                    : (byte)0;
                var isUsage = member == 0 && JsonText.Is(ref reader, "usage"u8);
                if (!reader.Read())
                {
                    break;
                }

                if (member != 0)
                {
                    // A repeated member is as ambiguous as a missing one.
                    var valid = (seen & member) == 0 && IsArrayOfObjects(ref reader);
                    seen |= member;
                    flags = valid ? (byte)(flags | member) : (byte)(flags & ~member);
                }
                else if (isUsage && !usageRead && reader.TokenType == JsonTokenType.StartObject)
                {
                    usageRead = true;
                    if (UsageReader.ReadUsage(ref reader, out prompt, out completion, out cached))
                    {
                        flags |= UsageFlag;
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // A broken body has no shape; usage read before the break still counts (the reservation is settled by it).
            flags &= UsageFlag;
        }

        return (flags & UsageFlag) != 0
            ? new ResponseFacts(flags, prompt, completion, cached)
            : new ResponseFacts(flags, 0, 0, 0);
    }

    // Reader on the member's value; leaves it on the value's last token.
    private static bool IsArrayOfObjects(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return false;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return false;
            }

            reader.Skip();
        }

        return true;
    }
}
