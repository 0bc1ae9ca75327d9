using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Json;
using LlmBatch.RateLimiting;

namespace LlmBatch.Packing;

/// <summary>
/// Gathers embeddings requests of one input each into <see cref="EmbeddingPack"/>s, in input order, within the
/// provider's per-request limits (<see cref="PackingOptions"/>). A request is packable when its body is an object
/// whose <c>input</c> is one string or one array of token ids; requests pack together when every other field
/// (model, dimensions, encoding format, user) is the same, byte for byte. Not thread-safe: the dispatcher owns it.
/// </summary>
internal sealed class EmbeddingPacker(PackingOptions options, TokenCounter tokens)
{
    private EmbeddingPack? _pending;

    /// <summary>True while a pack is being gathered.</summary>
    public bool HasPending => _pending is not null;

    /// <summary>
    /// Adds a request to the pack being gathered. Returns false when the request cannot be packed (send it alone);
    /// <paramref name="ready"/> is a pack to send now: the previous one when this request did not fit it (another
    /// model or fields, or the limits), or this one when the request filled it.
    /// </summary>
    public bool TryAdd(BatchRequest request, out EmbeddingPack? ready)
    {
        ready = null;
        if (request.Endpoint != BatchEndpointKind.Embeddings || !TrySplit(request.Body, out var shared, out var input))
        {
            return false;
        }

        var member = new PackMember(request, input, tokens.CountPromptTokens(request));
        if (_pending is { } open && (!open.SharedFields.AsSpan().SequenceEqual(shared.Span) || open.Tokens + member.Tokens > options.MaxTokens))
        {
            ready = open;
            _pending = null;
        }

        _pending ??= new EmbeddingPack(shared.ToArray(), request.Model);
        _pending.Add(member);
        if (_pending.Members.Count >= options.MaxInputs)
        {
            // Only one pack is ever ready at once: a request that closes the previous pack starts a new one, which
            // cannot also be full unless a pack holds one input, and then packing is off.
            ready ??= _pending;
            if (ReferenceEquals(ready, _pending))
            {
                _pending = null;
            }
        }

        return true;
    }

    /// <summary>Takes the pack being gathered (the input has nothing more ready), or null.</summary>
    public EmbeddingPack? TakePending()
    {
        var pack = _pending;
        _pending = null;
        return pack;
    }

    /// <summary>
    /// Splits an embeddings body into its <c>input</c> (one string or one token-id array, as raw JSON) and the raw
    /// <c>"name":value</c> text of its other fields. False when the input is not a single one.
    /// </summary>
    internal static bool TrySplit(ReadOnlyMemory<byte> body, out ReadOnlyMemory<byte> shared, out ReadOnlyMemory<byte> input)
    {
        shared = default;
        input = default;
        var span = body.Span;
        var reader = new Utf8JsonReader(span, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var sharedBytes = new List<byte>(64);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var nameStart = (int)reader.TokenStartIndex;
                var isInput = JsonText.Is(ref reader, "input"u8);
                reader.Read();
                var valueStart = (int)reader.TokenStartIndex;
                if (isInput)
                {
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        input = body.Slice(valueStart, (int)(reader.BytesConsumed - valueStart));
                        continue;
                    }

                    if (reader.TokenType != JsonTokenType.StartArray || !IsTokenIds(ref reader))
                    {
                        return false;
                    }

                    input = body.Slice(valueStart, (int)(reader.BytesConsumed - valueStart));
                    continue;
                }

                reader.Skip();
                if (sharedBytes.Count > 0)
                {
                    sharedBytes.Add((byte)',');
                }

                sharedBytes.AddRange(span[nameStart..(int)reader.BytesConsumed]);
            }

            if (input.IsEmpty)
            {
                return false;
            }

            shared = sharedBytes.ToArray();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>True for an array of numbers (one input as token ids); false for an array of strings or arrays (many inputs).</summary>
    private static bool IsTokenIds(ref Utf8JsonReader reader)
    {
        var any = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number)
            {
                return false;
            }

            any = true;
        }

        return any;
    }
}
