using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace LlmBatch.Providers;

/// <summary>Writes a <see cref="ChatResponse"/> as the body OpenAI returns for <c>/v1/chat/completions</c> (<c>chat.completion</c>).</summary>
internal static class ChatCompletionWriter
{
    /// <summary>Writes the body.</summary>
    /// <param name="response">The chat client's answer.</param>
    /// <param name="requestModel">The request's model, used when the answer names none.</param>
    /// <param name="now">The time to stamp as <c>created</c> when the answer carries none.</param>
    public static ReadOnlyMemory<byte> Write(ChatResponse response, string requestModel, DateTimeOffset now)
    {
        var text = new StringBuilder();
        List<FunctionCallContent>? calls = null;
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                switch (content)
                {
                    case TextContent t:
                        text.Append(t.Text);
                        break;
                    case FunctionCallContent call:
                        (calls ??= []).Add(call);
                        break;
                    default:
                        break;
                }
            }
        }

        var buffer = new ArrayBufferWriter<byte>(512 + (text.Length * 3));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, response.ResponseId ?? "chatcmpl-" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture));
            writer.WriteString("object"u8, "chat.completion"u8);
            writer.WriteNumber("created"u8, (response.CreatedAt ?? now).ToUnixTimeSeconds());
            writer.WriteString("model"u8, response.ModelId ?? requestModel);
            writer.WriteStartArray("choices"u8);
            writer.WriteStartObject();
            writer.WriteNumber("index"u8, 0);
            writer.WriteStartObject("message"u8);
            writer.WriteString("role"u8, "assistant"u8);
            if (text.Length > 0 || calls is null)
            {
                writer.WriteString("content"u8, text.ToString());
            }
            else
            {
                writer.WriteNull("content"u8);
            }

            writer.WriteNull("refusal"u8);
            if (calls is not null)
            {
                WriteToolCalls(writer, calls);
            }

            writer.WriteEndObject();
            writer.WriteNull("logprobs"u8);
            writer.WriteString("finish_reason"u8, FinishReason(response.FinishReason, calls is not null));
            writer.WriteEndObject();
            writer.WriteEndArray();
            if (response.Usage is { } usage)
            {
                WriteUsage(writer, usage);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    /// <summary>Maps a finish reason to OpenAI's spelling; a response without one finished normally.</summary>
    public static string FinishReason(ChatFinishReason? reason, bool hasToolCalls)
    {
        if (reason is not { } r)
        {
            return hasToolCalls ? "tool_calls" : "stop";
        }

        if (r == ChatFinishReason.Stop)
        {
            return "stop";
        }

        if (r == ChatFinishReason.Length)
        {
            return "length";
        }

        if (r == ChatFinishReason.ToolCalls)
        {
            return "tool_calls";
        }

        if (r == ChatFinishReason.ContentFilter)
        {
            return "content_filter";
        }

        return r.Value;
    }

    /// <summary>Writes an assistant message's <c>tool_calls</c> array (also used by the typed layer's request writer).</summary>
    internal static void WriteToolCalls(Utf8JsonWriter writer, List<FunctionCallContent> calls)
    {
        writer.WriteStartArray("tool_calls"u8);
        foreach (var call in calls)
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, call.CallId);
            writer.WriteString("type"u8, "function"u8);
            writer.WriteStartObject("function"u8);
            writer.WriteString("name"u8, call.Name);

            // OpenAI sends arguments as a JSON document inside a string.
            var arguments = call.Arguments is null
                ? "{}"
                : JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>)));
            writer.WriteString("arguments"u8, arguments);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteUsage(Utf8JsonWriter writer, UsageDetails usage)
    {
        var prompt = usage.InputTokenCount ?? 0;
        var completion = usage.OutputTokenCount ?? 0;
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("prompt_tokens"u8, prompt);
        writer.WriteNumber("completion_tokens"u8, completion);
        writer.WriteNumber("total_tokens"u8, usage.TotalTokenCount ?? (prompt + completion));
        if (usage.CachedInputTokenCount is { } cached)
        {
            writer.WriteStartObject("prompt_tokens_details"u8);
            writer.WriteNumber("cached_tokens"u8, cached);
            writer.WriteEndObject();
        }

        if (usage.ReasoningTokenCount is { } reasoning)
        {
            writer.WriteStartObject("completion_tokens_details"u8);
            writer.WriteNumber("reasoning_tokens"u8, reasoning);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }
}
