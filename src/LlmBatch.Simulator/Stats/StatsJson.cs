using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace LlmBatch.Simulator;

/// <summary>Writes <see cref="SimulatorStats"/> as the <c>GET /stats</c> JSON (snake_case names).</summary>
internal static class StatsJson
{
    public static void Write(IBufferWriter<byte> output, SimulatorStats stats)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteNumber("elapsed_seconds", Math.Round(stats.Elapsed.TotalSeconds, 3));
        w.WriteNumber("total_requests", stats.TotalRequests);
        w.WriteStartObject("requests");
        foreach (var (endpoint, statuses) in stats.Requests)
        {
            w.WriteStartObject(endpoint);
            foreach (var (status, count) in statuses)
            {
                w.WriteNumber(status.ToString(CultureInfo.InvariantCulture), count);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteStartObject("rate_limited");
        w.WriteNumber("requests", stats.RateLimitedRequests);
        w.WriteNumber("tokens", stats.RateLimitedTokens);
        w.WriteEndObject();
        w.WriteNumber("capacity_rejected", stats.CapacityRejected);
        w.WriteStartObject("faults");
        foreach (var (kind, count) in stats.Faults)
        {
            w.WriteNumber(kind, count);
        }

        w.WriteEndObject();
        w.WriteNumber("max_in_flight", stats.MaxInFlight);
        w.WriteNumber("tokens_admitted", stats.TokensAdmitted);
        w.WriteNumber("prompt_tokens", stats.PromptTokens);
        w.WriteNumber("completion_tokens", stats.CompletionTokens);
        w.WriteNumber("duplicate_successes", stats.DuplicateSuccesses);
        w.WriteEndObject();
    }
}
