using System.Text.Json;

namespace LlmBatch.Bench.Macro;

/// <summary>The figures of the simulator's <c>GET /stats</c> that the benchmark uses.</summary>
internal sealed record SimStats
{
    public long TotalRequests { get; init; }
    public long ChatOk { get; init; }
    public long ChatRequests { get; init; }
    public long RateLimitedRequests { get; init; }
    public long RateLimitedTokens { get; init; }
    public int MaxInFlight { get; init; }
    public long TokensAdmitted { get; init; }
    public long CompletionTokens { get; init; }
    public long PromptTokens { get; init; }
    public long DuplicateSuccesses { get; init; }
    public long FaultsInjected { get; init; }
    public long CapacityRejected { get; init; }
    public long EmbeddingRequests { get; init; }

    // The Batch API's figures (all 0 for a simulator that served no batch).
    public long FilesUploaded { get; init; }
    public long DuplicateUploads { get; init; }
    public long BatchesCreated { get; init; }
    public long DuplicateBatches { get; init; }
    public long TokenLimitRejected { get; init; }
    public long BatchesCompleted { get; init; }
    public long BatchItemsAnswered { get; init; }

    public long RateLimited => RateLimitedRequests + RateLimitedTokens;

    public double Share429 => TotalRequests == 0 ? 0 : (double)RateLimited / TotalRequests;

    public double MeanCompletionTokens => ChatOk == 0 ? 0 : (double)CompletionTokens / ChatOk;

    public static SimStats Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        long chatOk = 0, chat = 0;
        if (r.TryGetProperty("requests", out var requests) && requests.TryGetProperty("/v1/chat/completions", out var byStatus))
        {
            foreach (var s in byStatus.EnumerateObject())
            {
                chat += s.Value.GetInt64();
                if (s.Name == "200")
                {
                    chatOk = s.Value.GetInt64();
                }
            }
        }

        long embeddings = 0;
        if (r.TryGetProperty("requests", out var all) && all.TryGetProperty("/v1/embeddings", out var byEmbeddingStatus))
        {
            foreach (var status in byEmbeddingStatus.EnumerateObject())
            {
                embeddings += status.Value.GetInt64();
            }
        }

        long faults = 0;
        if (r.TryGetProperty("faults", out var f))
        {
            foreach (var kind in f.EnumerateObject())
            {
                faults += kind.Value.GetInt64();
            }
        }

        var limited = r.GetProperty("rate_limited");
        var batches = r.TryGetProperty("batches", out var b) ? b : default;
        long Batch(string name) => batches.ValueKind == JsonValueKind.Object && batches.TryGetProperty(name, out var v) ? v.GetInt64() : 0;
        return new SimStats
        {
            TotalRequests = r.GetProperty("total_requests").GetInt64(),
            ChatOk = chatOk,
            ChatRequests = chat,
            RateLimitedRequests = limited.GetProperty("requests").GetInt64(),
            RateLimitedTokens = limited.GetProperty("tokens").GetInt64(),
            MaxInFlight = r.GetProperty("max_in_flight").GetInt32(),
            TokensAdmitted = r.GetProperty("tokens_admitted").GetInt64(),
            CompletionTokens = r.GetProperty("completion_tokens").GetInt64(),
            PromptTokens = r.GetProperty("prompt_tokens").GetInt64(),
            DuplicateSuccesses = r.GetProperty("duplicate_successes").GetInt64(),
            FaultsInjected = faults,
            CapacityRejected = r.TryGetProperty("capacity_rejected", out var capacity) ? capacity.GetInt64() : 0,
            EmbeddingRequests = embeddings,
            FilesUploaded = Batch("files_uploaded"),
            DuplicateUploads = Batch("duplicate_uploads"),
            BatchesCreated = Batch("batches_created"),
            DuplicateBatches = Batch("duplicate_batches"),
            TokenLimitRejected = Batch("token_limit_rejected"),
            BatchesCompleted = Batch("completed"),
            BatchItemsAnswered = Batch("items_answered"),
        };
    }
}
