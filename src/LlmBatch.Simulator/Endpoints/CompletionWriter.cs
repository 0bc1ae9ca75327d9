using System.Buffers;
using System.Text;
using System.Text.Json;
using LlmBatch.Input;

namespace LlmBatch.Simulator;

/// <summary>Writes whole (non-streamed) chat and text completion bodies in OpenAI's shape.</summary>
internal static class CompletionWriter
{
    public static void Write(
        IBufferWriter<byte> output, ParsedRequest request, string id, long created, CompletionPlan plan,
        ContentGenerator generator, ulong requestHash, int promptTokens)
    {
        var chat = request.Endpoint == BatchEndpointKind.ChatCompletions;
        using var w = new Utf8JsonWriter(output);
        var text = new StringBuilder(plan.Longest * 6);
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", chat ? "chat.completion" : "text_completion");
        w.WriteNumber("created", created);
        w.WriteString("model", request.Model);
        w.WriteStartArray("choices");
        for (var i = 0; i < plan.Tokens.Length; i++)
        {
            text.Clear();
            generator.AppendWords(text, requestHash, i, plan.Tokens[i]);
            w.WriteStartObject();
            w.WriteNumber("index", i);
            if (chat)
            {
                w.WriteStartObject("message");
                w.WriteString("role", "assistant");
                w.WriteString("content", text.ToString());
                w.WriteNull("refusal");
                w.WriteStartArray("annotations");
                w.WriteEndArray();
                w.WriteEndObject();
            }
            else
            {
                w.WriteString("text", text.ToString());
            }

            w.WriteNull("logprobs");
            w.WriteString("finish_reason", plan.Capped[i] ? "length" : "stop");
            w.WriteEndObject();
        }

        w.WriteEndArray();
        WriteUsage(w, promptTokens, plan.Total);
        if (chat)
        {
            w.WriteString("service_tier", "default");
        }

        w.WriteString("system_fingerprint", "fp_llmbatch_sim");
        w.WriteEndObject();
    }

    public static void WriteUsage(Utf8JsonWriter w, int promptTokens, int completionTokens)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", promptTokens);
        w.WriteNumber("completion_tokens", completionTokens);
        w.WriteNumber("total_tokens", promptTokens + completionTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", 0);
        w.WriteEndObject();
        w.WriteStartObject("completion_tokens_details");
        w.WriteNumber("reasoning_tokens", 0);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
