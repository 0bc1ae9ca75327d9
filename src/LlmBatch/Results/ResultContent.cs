using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using LlmBatch.Json;

namespace LlmBatch.Results;

/// <summary>Pulls the useful part out of a response body: the generated text, or the embedding vectors.</summary>
internal static class ResultContent
{
    /// <summary>Reads the vectors of an embeddings response (<c>data[].embedding</c>, float arrays or base64), in <c>index</c> order.</summary>
    public static bool TryReadEmbeddings(ReadOnlyMemory<byte> body, out float[][] vectors)
    {
        vectors = [];
        if (body.IsEmpty)
        {
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(body, JsonLimits.Document);
            if (!doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array || data.GetArrayLength() == 0)
            {
                return false;
            }

            var list = new List<(int Index, float[] Vector)>(data.GetArrayLength());
            var position = 0;
            foreach (var item in data.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("embedding", out var emb))
                {
                    return false;
                }

                var index = item.TryGetProperty("index", out var ix) && ix.TryGetInt32(out var i) ? i : position;
                position++;
                if (emb.ValueKind == JsonValueKind.Array)
                {
                    var v = new float[emb.GetArrayLength()];
                    var k = 0;
                    foreach (var x in emb.EnumerateArray())
                    {
                        v[k++] = x.GetSingle();
                    }

                    list.Add((index, v));
                }
                else if (emb.ValueKind == JsonValueKind.String)
                {
                    // encoding_format "base64": little-endian float32 values.
                    var bytes = Convert.FromBase64String(JsonText.GetLenient(emb));
                    var v = new float[bytes.Length / 4];
                    for (var k = 0; k < v.Length; k++)
                    {
                        v[k] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(k * 4));
                    }

                    list.Add((index, v));
                }
                else
                {
                    return false;
                }
            }

            list.Sort((a, b) => a.Index.CompareTo(b.Index));
            vectors = new float[list.Count][];
            for (var i = 0; i < list.Count; i++)
            {
                vectors[i] = list[i].Vector;
            }

            return true;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads the generated text of a chat completion (<c>choices[0].message.content</c>), a completion
    /// (<c>choices[0].text</c>) or a response (the <c>output_text</c> parts of <c>output</c>), with its finish reason.
    /// </summary>
    public static bool TryReadText(ReadOnlyMemory<byte> body, out string content, out string? finishReason) =>
        TryReadText(body, out content, out finishReason, out _);

    /// <summary>As <see cref="TryReadText(ReadOnlyMemory{byte}, out string, out string?)"/>, with the token counts of <c>usage</c> from the same parse.</summary>
    public static bool TryReadText(ReadOnlyMemory<byte> body, out string content, out string? finishReason, out ResultUsage usage)
    {
        content = "";
        finishReason = null;
        usage = default;
        if (body.IsEmpty)
        {
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(body, JsonLimits.Document);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            usage = ReadUsage(root);

            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
            {
                var first = choices[0];
                if (first.ValueKind != JsonValueKind.Object)
                {
                    return false;
                }

                if (first.TryGetProperty("finish_reason", out var fr) && fr.ValueKind == JsonValueKind.String)
                {
                    finishReason = JsonText.GetLenient(fr);
                }

                if (first.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
                {
                    if (message.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
                    {
                        content = JsonText.GetLenient(c);
                        return true;
                    }

                    if (message.TryGetProperty("refusal", out var r) && r.ValueKind == JsonValueKind.String)
                    {
                        content = JsonText.GetLenient(r);
                        finishReason ??= "refusal";
                        return true;
                    }

                    // A tool call or an empty message: no text, but a valid answer.
                    return true;
                }

                if (first.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                {
                    content = JsonText.GetLenient(text);
                    return true;
                }

                return false;
            }

            if (root.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Array)
            {
                var sb = new StringBuilder();
                foreach (var part in output.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("content", out var parts) && parts.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var p in parts.EnumerateArray())
                        {
                            if (p.ValueKind == JsonValueKind.Object && p.TryGetProperty("type", out var t) && t.ValueEquals("output_text"u8) && p.TryGetProperty("text", out var pt) && pt.ValueKind == JsonValueKind.String)
                            {
                                sb.Append(JsonText.GetLenient(pt));
                            }
                        }
                    }
                }

                content = sb.ToString();
                if (root.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String)
                {
                    finishReason = JsonText.GetLenient(status);
                }

                return true;
            }

            return false;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not the shape expected (a server's odd answer): no text, never a crash of the merge.
            return false;
        }
    }

    // Chat and completions say prompt/completion tokens; the Responses API says input/output tokens.
    private static ResultUsage ReadUsage(JsonElement root)
    {
        if (!root.TryGetProperty("usage", out var u) || u.ValueKind != JsonValueKind.Object)
        {
            return default;
        }

        return new ResultUsage(Count(u, "prompt_tokens", "input_tokens"), Count(u, "completion_tokens", "output_tokens"), Count(u, "total_tokens", "total_tokens"));

        static long? Count(JsonElement usage, string name, string otherName) =>
            (usage.TryGetProperty(name, out var v) || usage.TryGetProperty(otherName, out v)) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;
    }

    /// <summary>True when the body looks like an embeddings response.</summary>
    public static bool LooksLikeEmbeddings(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body, JsonLimits.Document);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                   && doc.RootElement.TryGetProperty("data", out var data)
                   && data.ValueKind == JsonValueKind.Array
                   && data.GetArrayLength() > 0
                   && data[0].ValueKind == JsonValueKind.Object
                   && data[0].TryGetProperty("embedding", out _);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Maps a chat answer to one of the labels: the exact label, the label in quotes or followed by punctuation,
    /// or a JSON object's <c>label</c> field (structured output). Null when it names no label, or more than one.
    /// </summary>
    public static string? MatchLabel(string answer, IReadOnlyList<string> labels)
    {
        var text = answer.Trim();
        if (text.StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(text, JsonLimits.Document);
                if (doc.RootElement.TryGetProperty("label", out var l) && l.ValueKind == JsonValueKind.String)
                {
                    text = JsonText.GetLenient(l).Trim();
                }
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                return null;
            }
        }

        text = text.Trim().Trim('"', '\'', '`', '.', '!', '*', ' ');
        foreach (var label in labels)
        {
            if (string.Equals(text, label, StringComparison.OrdinalIgnoreCase))
            {
                return label;
            }
        }

        // "Label: positive" and similar: accept only when exactly one label appears as a whole word.
        string? found = null;
        foreach (var label in labels)
        {
            if (ContainsWord(text, label))
            {
                if (found is not null)
                {
                    return null;
                }

                found = label;
            }
        }

        return found;
    }

    private static bool ContainsWord(string text, string word)
    {
        var i = 0;
        while ((i = text.IndexOf(word, i, StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            var before = i == 0 || !char.IsLetterOrDigit(text[i - 1]);
            var end = i + word.Length;
            var after = end == text.Length || !char.IsLetterOrDigit(text[end]);
            if (before && after)
            {
                return true;
            }

            i = end;
        }

        return false;
    }
}
