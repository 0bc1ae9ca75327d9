using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text.Json;
using LlmBatch.Json;

namespace LlmBatch.Caching;

/// <summary>
/// Hashes a JSON value by its meaning, not its text: object key order, whitespace, string escapes (<c>"\u0041"</c> is
/// <c>"A"</c>) and number spelling (<c>0</c>, <c>0.0</c>, <c>0e1</c>) do not change the hash. Objects combine their
/// members' hashes by addition, which is order-independent and needs no sorting or buffering, so a body is hashed in
/// one forward pass with no allocation.
/// </summary>
internal static class CanonicalJson
{
    private const int MaxDepth = 512;

    // Distinct seeds per kind of value, so that "1" and 1, [] and {} and null never hash alike.
    private const long ObjectSeed = 0x4f424a;
    private const long ArraySeed = 0x415252;
    private const long StringSeed = 0x535452;
    private const long KeySeed = 0x4b4559;
    private const long NumberSeed = 0x4e554d;
    private const long LiteralSeed = 0x4c4954;

    /// <summary>The 128-bit hash of the JSON value in <paramref name="utf8"/>.</summary>
    /// <exception cref="JsonException">The text is not one valid JSON value.</exception>
    public static UInt128 Hash(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth });
        if (!reader.Read())
        {
            throw new JsonException("Empty JSON.");
        }

        return Value(ref reader);
    }

    /// <summary>
    /// True when the request body asks for a reproducible answer: <c>temperature</c> 0 or a <c>seed</c> at the top
    /// level. Embeddings are deterministic whatever the body says; the caller decides that by endpoint.
    /// </summary>
    public static bool IsDeterministic(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var deterministic = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isTemperature = JsonText.Is(ref reader, "temperature"u8);
                var isSeed = !isTemperature && JsonText.Is(ref reader, "seed"u8);
                reader.Read();
                if (isTemperature)
                {
                    // A later temperature overrides an earlier one, as a JSON parser keeping the last key would.
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var t))
                    {
                        deterministic = t == 0 || deterministic;
                    }
                }
                else if (isSeed && reader.TokenType != JsonTokenType.Null)
                {
                    deterministic = true;
                }

                reader.Skip();
            }

            return deterministic;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static UInt128 Value(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.StartObject => Object(ref reader),
        JsonTokenType.StartArray => Array(ref reader),
        JsonTokenType.String => Text(ref reader, StringSeed),
        JsonTokenType.Number => Number(ref reader),
        JsonTokenType.True => Literal(1),
        JsonTokenType.False => Literal(2),
        _ => Literal(3),
    };

    private static UInt128 Object(ref Utf8JsonReader reader)
    {
        UInt128 sum = 0;
        Span<byte> pair = stackalloc byte[32];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = Text(ref reader, KeySeed);
            reader.Read();
            var value = Value(ref reader);
            Write(pair, key, value);
            sum += XxHash128.HashToUInt128(pair, ObjectSeed);
        }

        Write(pair, sum, 0);
        return XxHash128.HashToUInt128(pair, ObjectSeed);
    }

    private static UInt128 Array(ref Utf8JsonReader reader)
    {
        UInt128 running = 0;
        Span<byte> pair = stackalloc byte[32];
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            Write(pair, running, Value(ref reader));
            running = XxHash128.HashToUInt128(pair, ArraySeed);
        }

        return running ^ ArraySeed;
    }

    private static UInt128 Text(ref Utf8JsonReader reader, long seed)
    {
        if (!reader.ValueIsEscaped)
        {
            return XxHash128.HashToUInt128(reader.ValueSpan, seed);
        }

        // Unescaped text is never longer than its escaped form.
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = reader.CopyString(rented);
            return XxHash128.HashToUInt128(rented.AsSpan(0, written), seed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static UInt128 Number(ref Utf8JsonReader reader)
    {
        // One spelling per value where decimal holds it exactly (28 digits): 1.50 → 1.5, 1e2 → 100, -0 → 0.
        if (reader.TryGetDecimal(out var value))
        {
            Span<byte> text = stackalloc byte[48];
            if (value == 0m)
            {
                value = 0m;
            }

            if (value.TryFormat(text, out var n, "G29", System.Globalization.CultureInfo.InvariantCulture))
            {
                return XxHash128.HashToUInt128(text[..n], NumberSeed);
            }
        }

        return XxHash128.HashToUInt128(reader.ValueSpan, NumberSeed);
    }

    private static UInt128 Literal(byte kind) => XxHash128.HashToUInt128([kind], LiteralSeed);

    private static void Write(Span<byte> pair, UInt128 first, UInt128 second)
    {
        BinaryPrimitives.WriteUInt128LittleEndian(pair, first);
        BinaryPrimitives.WriteUInt128LittleEndian(pair[16..], second);
    }
}
