using System.Text.Json;
using Microsoft.Extensions.AI;

namespace LlmBatch.Typed;

/// <summary>
/// Turns an OpenAI <c>chat.completion</c> body into a <see cref="ChatResponse"/>, as Microsoft.Extensions.AI's OpenAI
/// client does: one assistant message per choice, tool calls as <see cref="FunctionCallContent"/>, a refusal as
/// <see cref="ErrorContent"/>, <c>reasoning_content</c> (vLLM, DeepSeek) as <see cref="TextReasoningContent"/>, and the
/// usage with its cached and reasoning token counts.
/// </summary>
internal static class ChatCompletionReader
{
    /// <summary>Reads a body.</summary>
    /// <exception cref="JsonException">The body is not a chat completion.</exception>
    public static ChatResponse Read(ReadOnlyMemory<byte> body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("the response has no choices array.");
        }

        var response = new ChatResponse();
        foreach (var choice in choices.EnumerateArray())
        {
            if (choice.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
            {
                response.Messages.Add(ReadMessage(message));
            }

            if (response.FinishReason is null && choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
            {
                response.FinishReason = FinishReason(finish.GetString()!);
            }
        }

        response.ResponseId = String(root, "id");
        response.ModelId = String(root, "model");
        if (root.TryGetProperty("created", out var created) && created.TryGetInt64(out var seconds))
        {
            response.CreatedAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        if (String(root, "system_fingerprint") is { } fingerprint)
        {
            (response.AdditionalProperties ??= [])["system_fingerprint"] = fingerprint;
        }

        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            response.Usage = ReadUsage(usage);
        }

        foreach (var item in response.Messages)
        {
            item.MessageId ??= response.ResponseId;
            item.CreatedAt ??= response.CreatedAt;
        }

        return response;
    }

    private static ChatMessage ReadMessage(JsonElement message)
    {
        var role = String(message, "role") is { } name ? new ChatRole(name) : ChatRole.Assistant;
        var result = new ChatMessage(role, (IList<AIContent>)[]);
        if (String(message, "reasoning_content") is { Length: > 0 } reasoning)
        {
            result.Contents.Add(new TextReasoningContent(reasoning));
        }

        if (message.TryGetProperty("content", out var content))
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                result.Contents.Add(new TextContent(content.GetString()));
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                foreach (var part in content.EnumerateArray())
                {
                    if (String(part, "text") is { } text)
                    {
                        result.Contents.Add(new TextContent(text));
                    }
                }
            }
        }

        if (String(message, "refusal") is { } refusal)
        {
            result.Contents.Add(new ErrorContent(refusal) { ErrorCode = "Refusal" });
        }

        if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                if (call.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
                {
                    var arguments = String(function, "arguments");
                    var parsed = FunctionCallContent.CreateFromParsedArguments(
                        string.IsNullOrEmpty(arguments) ? "{}" : arguments,
                        String(call, "id") ?? "",
                        String(function, "name") ?? "",
                        static json => JsonSerializer.Deserialize(json, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>))) as IDictionary<string, object?>);
                    result.Contents.Add(parsed);
                }
            }
        }

        return result;
    }

    private static UsageDetails ReadUsage(JsonElement usage)
    {
        var details = new UsageDetails
        {
            InputTokenCount = Long(usage, "prompt_tokens"),
            OutputTokenCount = Long(usage, "completion_tokens"),
            TotalTokenCount = Long(usage, "total_tokens"),
        };
        if (usage.TryGetProperty("prompt_tokens_details", out var prompt) && prompt.ValueKind == JsonValueKind.Object)
        {
            details.CachedInputTokenCount = Long(prompt, "cached_tokens");
        }

        if (usage.TryGetProperty("completion_tokens_details", out var completion) && completion.ValueKind == JsonValueKind.Object)
        {
            details.ReasoningTokenCount = Long(completion, "reasoning_tokens");
        }

        return details;
    }

    private static ChatFinishReason FinishReason(string reason) => reason switch
    {
        "stop" => ChatFinishReason.Stop,
        "length" => ChatFinishReason.Length,
        "tool_calls" or "function_call" => ChatFinishReason.ToolCalls,
        "content_filter" => ChatFinishReason.ContentFilter,
        _ => new ChatFinishReason(reason),
    };

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static long? Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
            ? number
            : null;
}
