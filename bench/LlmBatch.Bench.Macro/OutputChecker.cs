using System.Text.Json;

namespace LlmBatch.Bench.Macro;

/// <summary>Reads an output file line by line (constant memory apart from one counter per item) and judges it.</summary>
internal static class OutputChecker
{
    public static OutputCheck Check(string path, int expected)
    {
        var lines = new byte[expected];
        var good = new bool[expected];
        int failed = 0, torn = 0, unknown = 0;
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.Length == 0)
                {
                    continue;
                }

                JsonDocument doc;
                try
                {
                    doc = JsonDocument.Parse(line);
                }
                catch (JsonException)
                {
                    torn++;
                    continue;
                }

                using (doc)
                {
                    var root = doc.RootElement;
                    if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("custom_id", out var idElement) || idElement.ValueKind != JsonValueKind.String)
                    {
                        torn++;
                        continue;
                    }

                    var index = InputGenerator.IndexOf(idElement.GetString()!);
                    if (index < 0 || index >= expected)
                    {
                        unknown++;
                        continue;
                    }

                    if (lines[index] < 255)
                    {
                        lines[index]++;
                    }

                    if (IsCorrect(root))
                    {
                        good[index] = true;
                    }
                    else
                    {
                        failed++;
                    }
                }
            }
        }

        int correct = 0, lost = 0, duplicated = 0;
        for (var i = 0; i < expected; i++)
        {
            switch (lines[i])
            {
                case 0:
                    lost++;
                    break;
                case 1 when good[i]:
                    correct++;
                    break;
                case > 1:
                    duplicated++;
                    break;
            }
        }

        return new OutputCheck(expected, correct, failed, lost, duplicated, torn, unknown);
    }

    /// <summary>A Batch API success line: no error, status 200, a chat.completion body with a message and usage.</summary>
    private static bool IsCorrect(JsonElement root)
    {
        if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
        {
            return false;
        }

        if (!root.TryGetProperty("response", out var response) || response.ValueKind != JsonValueKind.Object
            || !response.TryGetProperty("status_code", out var status) || status.GetInt32() != 200
            || !response.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (body.TryGetProperty("object", out var list) && list.ValueEquals("list"))
        {
            // Embeddings: exactly one vector, as the provider answers a request of one input.
            return body.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array && data.GetArrayLength() == 1
                && data[0].TryGetProperty("embedding", out var vector) && vector.ValueKind is JsonValueKind.Array or JsonValueKind.String;
        }

        return body.TryGetProperty("object", out var obj) && obj.ValueEquals("chat.completion")
            && body.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
            && choices[0].TryGetProperty("message", out var message) && message.TryGetProperty("content", out var content)
            && content.ValueKind == JsonValueKind.String
            && body.TryGetProperty("usage", out var usage) && usage.TryGetProperty("completion_tokens", out var ct) && ct.GetInt32() >= 0;
    }
}
