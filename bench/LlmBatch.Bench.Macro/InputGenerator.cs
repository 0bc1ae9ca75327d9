using System.Text;
using System.Text.Json;

namespace LlmBatch.Bench.Macro;

/// <summary>
/// Writes Batch API chat input files, seeded so that every run of the benchmark sends the same requests. Each prompt
/// names its own custom_id, so no two bodies are equal and the simulator's duplicate count means re-sent work only.
/// </summary>
internal static class InputGenerator
{
    // Common English words that each tokenize as one token after a space in o200k and cl100k: prompt size in tokens
    // is then close to the word count, which lets a scenario aim its token budget before the run.
    private static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he",
        "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were", "their",
        "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would", "who", "so",
        "no", "time", "people", "year", "way", "day", "man", "thing", "woman", "life", "child", "world", "school",
        "state", "family", "group", "country", "problem", "hand", "part", "place", "case", "week", "company", "system",
        "program", "question", "work", "government", "number", "night", "point", "home", "water", "room", "mother",
        "area", "money", "story", "fact", "month", "lot", "right", "study", "book", "eye", "job", "word", "business",
    ];

    /// <summary>A prompt of fixed size: the rate-limited, unlimited, fault, crash and memory scenarios.</summary>
    public static void WriteFixed(string path, int count, int promptWords, int maxTokens, int seed) =>
        Write(path, count, maxTokens, seed, _ => promptWords);

    /// <summary>
    /// Prompts whose sizes vary over two orders of magnitude (lognormal, median <paramref name="medianWords"/>,
    /// clipped to 10..20x the median): the token-limited scenario. Returns the estimated tokens the simulator will
    /// charge (prompt plus max_tokens), to aim the token budget.
    /// </summary>
    public static long WriteVariable(string path, int count, int medianWords, int maxTokens, int seed)
    {
        var rng = new Random(seed ^ 0x5eed);
        long words = 0;
        Write(path, count, maxTokens, seed, _ =>
        {
            // Box-Muller: a normal draw for the lognormal size.
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            var z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            var n = (int)Math.Clamp(medianWords * Math.Exp(0.9 * z), 10, medianWords * 20);
            words += n;
            return n;
        });
        // About 8 tokens of chat framing and the "Item rNNN:" prefix per request.
        return words + (count * (8L + 4 + maxTokens));
    }

    /// <summary>
    /// Deterministic requests (temperature 0) for the cost scenarios: line <c>i</c> carries the body of
    /// <paramref name="bodyOf"/>(i), so lines that map to the same index repeat one body under their own custom_ids.
    /// </summary>
    public static void WriteDeterministic(string path, int count, int promptWords, int maxTokens, int seed, Func<int, int> bodyOf)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var json = new Utf8JsonWriter(file);
        var text = new StringBuilder(4096);
        for (var i = 0; i < count; i++)
        {
            var body = bodyOf(i);
            var rng = new Random(seed ^ (body * 7919));
            text.Clear().Append("Item ").Append(CustomId(body)).Append(':');
            for (var w = 0; w < promptWords; w++)
            {
                text.Append(' ').Append(Words[rng.Next(Words.Length)]);
            }

            WriteChatLine(file, json, CustomId(i), text.ToString(), maxTokens, deterministic: true);
        }
    }

    private static void Write(string path, int count, int maxTokens, int seed, Func<int, int> promptWords)
    {
        var rng = new Random(seed);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var json = new Utf8JsonWriter(file);
        var text = new StringBuilder(4096);
        for (var i = 0; i < count; i++)
        {
            var id = CustomId(i);
            text.Clear().Append("Item ").Append(id).Append(':');
            var n = promptWords(i);
            for (var w = 0; w < n; w++)
            {
                text.Append(' ').Append(Words[rng.Next(Words.Length)]);
            }

            WriteChatLine(file, json, id, text.ToString(), maxTokens, deterministic: false);
        }
    }

    // One Batch API chat line; temperature 0 only where the cost scenarios need repeats to be identical requests.
    private static void WriteChatLine(FileStream file, Utf8JsonWriter json, string customId, string content, int maxTokens, bool deterministic)
    {
        json.WriteStartObject();
        json.WriteString("custom_id", customId);
        json.WriteString("method", "POST");
        json.WriteString("url", "/v1/chat/completions");
        json.WriteStartObject("body");
        json.WriteString("model", "gpt-4o-mini");
        if (deterministic)
        {
            json.WriteNumber("temperature", 0);
        }

        json.WriteStartArray("messages");
        json.WriteStartObject();
        json.WriteString("role", "user");
        json.WriteString("content", content);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteNumber("max_tokens", maxTokens);
        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
        json.Reset();
        file.WriteByte((byte)'\n');
    }

    /// <summary>Embeddings requests of one input each (20 words naming the item), for the packing scenario.</summary>
    public static void WriteEmbeddings(string path, int count, int dimensions, int seed)
    {
        var rng = new Random(seed);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var json = new Utf8JsonWriter(file);
        var text = new StringBuilder(256);
        for (var i = 0; i < count; i++)
        {
            text.Clear().Append("Item ").Append(CustomId(i)).Append(':');
            for (var w = 0; w < 20; w++)
            {
                text.Append(' ').Append(Words[rng.Next(Words.Length)]);
            }

            json.WriteStartObject();
            json.WriteString("custom_id", CustomId(i));
            json.WriteString("method", "POST");
            json.WriteString("url", "/v1/embeddings");
            json.WriteStartObject("body");
            json.WriteString("model", "text-embedding-3-small");
            json.WriteString("input", text.ToString());
            json.WriteNumber("dimensions", dimensions);
            json.WriteEndObject();
            json.WriteEndObject();
            json.Flush();
            json.Reset();
            file.WriteByte((byte)'\n');
        }
    }

    public static string CustomId(int index) => "r" + index.ToString("D7", System.Globalization.CultureInfo.InvariantCulture);

    public static int IndexOf(string customId) =>
        customId.Length == 8 && customId[0] == 'r' && int.TryParse(customId.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture, out var i) ? i : -1;
}
