using System.Text.Json;
using LlmBatch.Json;
using LlmBatch.Providers;

namespace LlmBatch.RateLimiting;

/// <summary>
/// Reads the top-level <c>usage</c> object of a response body in one forward pass: chat and text completions
/// (<c>prompt_tokens</c>/<c>completion_tokens</c>), <c>/v1/responses</c> (<c>input_tokens</c>/<c>output_tokens</c>)
/// and embeddings (<c>prompt_tokens</c>/<c>total_tokens</c>).
/// </summary>
internal static class UsageReader
{
    /// <summary>Reads the token usage a response reports.</summary>
    /// <param name="body">The response body (UTF-8 JSON).</param>
    /// <param name="promptTokens">Prompt (input) tokens.</param>
    /// <param name="completionTokens">Completion (output) tokens; 0 for embeddings.</param>
    /// <returns>False when the body is not JSON or has no readable top-level <c>usage</c>.</returns>
    public static bool TryRead(ReadOnlySpan<byte> body, out int promptTokens, out int completionTokens) =>
        TryRead(body, out promptTokens, out completionTokens, out _);

    /// <summary>Reads the token usage a response reports, with the prompt tokens the provider served from its prompt cache.</summary>
    /// <param name="body">The response body (UTF-8 JSON).</param>
    /// <param name="promptTokens">Prompt (input) tokens, the cached ones included.</param>
    /// <param name="completionTokens">Completion (output) tokens; 0 for embeddings.</param>
    /// <param name="cachedPromptTokens"><c>prompt_tokens_details.cached_tokens</c> (or <c>input_tokens_details</c>); 0 when not reported.</param>
    /// <returns>False when the body is not JSON or has no readable top-level <c>usage</c>.</returns>
    public static bool TryRead(ReadOnlySpan<byte> body, out int promptTokens, out int completionTokens, out int cachedPromptTokens)
    {
        // One reader of bodies: the engine's layers take these facts from BatchResponse, read once per response.
        var facts = ResponseFacts.Read(body);
        promptTokens = facts.PromptTokens;
        completionTokens = facts.CompletionTokens;
        cachedPromptTokens = facts.CachedPromptTokens;
        return facts.UsageReported;
    }

    /// <summary>Reads a <c>usage</c> object, the reader on its start; leaves it on the object's end.</summary>
    internal static bool ReadUsage(ref Utf8JsonReader reader, out int promptTokens, out int completionTokens, out int cachedPromptTokens)
    {
        cachedPromptTokens = 0;
        long? prompt = null;
        long? completion = null;
        long? total = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // 0 = not a count we read, 1 = prompt, 2 = completion, 3 = total.
            var slot = JsonText.Is(ref reader, "prompt_tokens"u8) || JsonText.Is(ref reader, "input_tokens"u8) ? 1
                : JsonText.Is(ref reader, "completion_tokens"u8) || JsonText.Is(ref reader, "output_tokens"u8) ? 2
                : JsonText.Is(ref reader, "total_tokens"u8) ? 3
                : 0;
            var details = slot == 0 && (JsonText.Is(ref reader, "prompt_tokens_details"u8) || JsonText.Is(ref reader, "input_tokens_details"u8));
            if (!reader.Read())
            {
                break;
            }

            if (details && reader.TokenType == JsonTokenType.StartObject)
            {
                cachedPromptTokens = ReadCachedTokens(ref reader);
                continue;
            }

            if (slot != 0 && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) && n >= 0)
            {
                switch (slot)
                {
                    case 1: prompt = n; break;
                    case 2: completion = n; break;
                    default: total = n; break;
                }
            }
            else
            {
                reader.Skip();
            }
        }

        if (prompt is null && completion is null && total is null)
        {
            promptTokens = 0;
            completionTokens = 0;
            return false;
        }

        // Embeddings report only prompt and total; a provider that reports only a total gets it counted as prompt.
        var p = prompt ?? Math.Max(0, (total ?? 0) - (completion ?? 0));
        var c = completion ?? Math.Max(0, (total ?? p) - p);
        promptTokens = (int)Math.Min(int.MaxValue, p);
        completionTokens = (int)Math.Min(int.MaxValue, c);
        cachedPromptTokens = Math.Min(cachedPromptTokens, promptTokens);
        return true;
    }

    // The prompt-cache share of the prompt, which the provider bills at its cached-input price.
    private static int ReadCachedTokens(ref Utf8JsonReader reader)
    {
        var cached = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isCached = JsonText.Is(ref reader, "cached_tokens"u8);
            reader.Read();
            if (isCached && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) && n >= 0)
            {
                cached = (int)Math.Min(int.MaxValue, n);
            }
            else
            {
                reader.Skip();
            }
        }

        return cached;
    }
}
