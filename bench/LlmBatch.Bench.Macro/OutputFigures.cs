using System.Security.Cryptography;
using System.Text.Json;

namespace LlmBatch.Bench.Macro;

/// <summary>Figures read from an output file's own lines: latencies of successes, and the vectors of embeddings lines.</summary>
internal static class OutputFigures
{
    /// <summary>The median <c>llmbatch.latency_ms</c> of the successful lines.</summary>
    public static double MedianLatencyMs(string path)
    {
        var latencies = new List<double>();
        foreach (var line in File.ReadLines(path))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Null
                && root.TryGetProperty("llmbatch", out var stats) && stats.TryGetProperty("latency_ms", out var latency))
            {
                latencies.Add(latency.GetDouble());
            }
        }

        latencies.Sort();
        return latencies.Count == 0 ? double.NaN : latencies[latencies.Count / 2];
    }

    /// <summary>Each custom_id's vector, as a hash of its raw JSON, for embeddings output.</summary>
    public static Dictionary<string, string> VectorHashes(string path)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object
                && response.TryGetProperty("body", out var body) && body.TryGetProperty("data", out var data) && data.GetArrayLength() == 1)
            {
                hashes[root.GetProperty("custom_id").GetString()!] = Hash(data[0].GetProperty("embedding").GetRawText());
            }
        }

        return hashes;
    }

    public static string Hash(string raw) => Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(raw)));
}
