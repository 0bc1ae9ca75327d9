using System.Buffers;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.Simulator;

/// <summary>The JSON error bodies of OpenAI (<c>{"error":{"message","type","param","code"}}</c>) and of Azure's 429.</summary>
internal static class ErrorBodies
{
    public static void OpenAi(IBufferWriter<byte> output, string message, string type, string? param, string? code) =>
        OpenAIErrorResponse.WriteBody(output, message, type, param, code);

    public static void RateLimited(IBufferWriter<byte> output, string model, in RateDecision decision)
    {
        var requests = decision.Rejected == RateLimitKind.Requests;
        var message =
            $"Rate limit reached for {model} in organization org-simulator on {(requests ? "requests per min (RPM)" : "tokens per min (TPM)")}: "
            + $"Limit {(requests ? decision.LimitRequests : decision.LimitTokens)}, Used {(requests ? decision.UsedRequests : decision.UsedTokens)}, "
            + $"Requested {(requests ? 1 : decision.RequestedTokens)}. Please try again in {GoDuration.Format(decision.RetryAfter)}. "
            + "Visit https://platform.openai.com/account/rate-limits to learn more.";
        OpenAi(output, message, requests ? "requests" : "tokens", null, "rate_limit_exceeded");
    }

    public static void AzureRateLimited(IBufferWriter<byte> output, BatchEndpointKind endpoint, in RateDecision decision, long retrySeconds)
    {
        var operation = endpoint switch
        {
            BatchEndpointKind.ChatCompletions => "ChatCompletions_Create",
            BatchEndpointKind.Completions => "Completions_Create",
            _ => "Embeddings_Create",
        };
        var which = decision.Rejected == RateLimitKind.Requests ? "call rate limit" : "token rate limit";
        using var w = new Utf8JsonWriter(output);
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("code", "429");
        w.WriteString("message",
            $"Requests to the {operation} Operation under Azure OpenAI API version 2024-10-21 have exceeded {which} of your current OpenAI S0 pricing tier. "
            + $"Please retry after {retrySeconds} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.");
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
