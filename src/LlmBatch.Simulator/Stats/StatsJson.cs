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
        var b = stats.Batches;
        w.WriteStartObject("batches");
        w.WriteNumber("files_uploaded", b.FilesUploaded);
        w.WriteNumber("bytes_uploaded", b.BytesUploaded);
        w.WriteNumber("duplicate_uploads", b.DuplicateUploads);
        w.WriteNumber("files_deleted", b.FilesDeleted);
        w.WriteNumber("batches_created", b.BatchesCreated);
        w.WriteNumber("duplicate_batches", b.DuplicateBatches);
        w.WriteNumber("token_limit_rejected", b.TokenLimitRejected);
        w.WriteNumber("completed", b.Completed);
        w.WriteNumber("failed", b.Failed);
        w.WriteNumber("expired", b.Expired);
        w.WriteNumber("cancelled", b.Cancelled);
        w.WriteNumber("items_answered", b.ItemsAnswered);
        w.WriteNumber("item_errors", b.ItemErrors);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
