using System.Buffers;
using System.Text.Json;
using LlmBatch.Json;

namespace LlmBatch.Packing;

/// <summary>
/// Splits the answer to an <see cref="EmbeddingPack"/> into one answer per member, each as the provider would have
/// answered that member alone: <c>{"object":"list","data":[{"object":"embedding","index":0,"embedding":…}],"model":…,
/// "usage":{"prompt_tokens":n,"total_tokens":n}}</c>. The vector (a float array or a base64 string) is copied as it
/// came. The usage is the member's share of the reported total, in proportion to the local token counts (largest
/// remainders, so the shares add up to the total exactly).
/// </summary>
internal static class PackedResponseSplitter
{
    /// <summary>Splits a 2xx answer. Members whose vector the answer lacks get an empty body.</summary>
    /// <param name="pack">The pack the answer belongs to.</param>
    /// <param name="body">The answer's body.</param>
    /// <param name="reportedPromptTokens">The total the answer's usage reports, or -1 when it reports none.</param>
    /// <returns>Per member: its body and its prompt tokens.</returns>
    public static (byte[] Body, int PromptTokens)[] Split(EmbeddingPack pack, ReadOnlySpan<byte> body, int reportedPromptTokens)
    {
        var members = pack.Members;
        var vectors = new (int Start, int Length)[members.Count];
        string? model = null;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (JsonText.Is(ref reader, "data"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        ReadData(ref reader, vectors);
                        continue;
                    }
                }
                else if (JsonText.Is(ref reader, "model"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        model = reader.GetString();
                        continue;
                    }
                }
                else
                {
                    reader.Read();
                }

                reader.Skip();
            }
        }

        var shares = Shares(pack, reportedPromptTokens);
        var results = new (byte[] Body, int PromptTokens)[members.Count];
        var buffer = new ArrayBufferWriter<byte>(1024);
        for (var i = 0; i < members.Count; i++)
        {
            if (vectors[i].Length == 0)
            {
                results[i] = ([], shares[i]);
                continue;
            }

            buffer.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("object"u8, "list"u8);
                w.WriteStartArray("data"u8);
                w.WriteStartObject();
                w.WriteString("object"u8, "embedding"u8);
                w.WriteNumber("index"u8, 0);
                w.WritePropertyName("embedding"u8);
                w.WriteRawValue(body.Slice(vectors[i].Start, vectors[i].Length), skipInputValidation: true);
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteString("model"u8, model ?? pack.Model);
                w.WriteStartObject("usage"u8);
                w.WriteNumber("prompt_tokens"u8, shares[i]);
                w.WriteNumber("total_tokens"u8, shares[i]);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            results[i] = (buffer.WrittenSpan.ToArray(), shares[i]);
        }

        return results;
    }

    /// <summary>Each member's share of <paramref name="total"/> (its local count when the answer reports none).</summary>
    internal static int[] Shares(EmbeddingPack pack, int total)
    {
        var members = pack.Members;
        var shares = new int[members.Count];
        if (total < 0)
        {
            for (var i = 0; i < shares.Length; i++)
            {
                shares[i] = members[i].Tokens;
            }

            return shares;
        }

        // Proportional to the local counts (equal shares when nothing was counted), largest remainders get the rest.
        long weights = 0;
        foreach (var m in members)
        {
            weights += Math.Max(0, m.Tokens);
        }

        var remainders = new (double Fraction, int Index)[shares.Length];
        var given = 0;
        for (var i = 0; i < shares.Length; i++)
        {
            var exact = weights > 0 ? (double)total * Math.Max(0, members[i].Tokens) / weights : (double)total / shares.Length;
            shares[i] = (int)Math.Floor(exact);
            given += shares[i];
            remainders[i] = (exact - shares[i], i);
        }

        Array.Sort(remainders, static (a, b) => b.Fraction.CompareTo(a.Fraction));
        for (var k = 0; k < total - given && k < remainders.Length; k++)
        {
            shares[remainders[k].Index]++;
        }

        return shares;
    }

    /// <summary>Records where each element's vector is, by its <c>index</c> (by position when it has none).</summary>
    private static void ReadData(ref Utf8JsonReader reader, (int Start, int Length)[] vectors)
    {
        var position = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            var index = position++;
            var start = -1;
            var length = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (JsonText.Is(ref reader, "index"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var i))
                    {
                        index = i;
                    }

                    continue;
                }

                if (JsonText.Is(ref reader, "embedding"u8))
                {
                    reader.Read();
                    start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    length = (int)reader.BytesConsumed - start;
                    continue;
                }

                reader.Read();
                reader.Skip();
            }

            if (start >= 0 && index >= 0 && index < vectors.Length)
            {
                vectors[index] = (start, length);
            }
        }
    }
}
