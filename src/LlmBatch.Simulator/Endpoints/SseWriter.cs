using System.Buffers;
using System.Text.Json;
using LlmBatch.Input;

namespace LlmBatch.Simulator;

/// <summary>
/// Writes server-sent events as OpenAI streams them: <c>data: {chunk}\n\n</c> lines, a usage chunk when asked
/// for, and <c>data: [DONE]\n\n</c> at the end.
/// </summary>
internal sealed class SseWriter : IDisposable
{
    private readonly IBufferWriter<byte> _output;
    private readonly Utf8JsonWriter _json;
    private readonly ParsedRequest _request;
    private readonly string _id;
    private readonly long _created;
    private readonly bool _chat;

    public SseWriter(IBufferWriter<byte> output, ParsedRequest request, string id, long created)
    {
        _output = output;
        _json = new Utf8JsonWriter(output);
        _request = request;
        _id = id;
        _created = created;
        _chat = request.Endpoint == BatchEndpointKind.ChatCompletions;
    }

    /// <summary>A chunk of choice <paramref name="index"/>: the role (first chat chunk), text, or the finish reason.</summary>
    public void Chunk(int index, bool role, string? text, string? finishReason)
    {
        var w = StartChunk();
        if (_chat)
        {
            w.WriteString("system_fingerprint", "fp_llmbatch_sim");
        }

        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", index);
        if (_chat)
        {
            w.WriteStartObject("delta");
            if (role)
            {
                w.WriteString("role", "assistant");
                w.WriteString("content", "");
                w.WriteNull("refusal");
            }
            else if (text is not null)
            {
                w.WriteString("content", text);
            }

            w.WriteEndObject();
        }
        else
        {
            w.WriteString("text", text ?? "");
        }

        w.WriteNull("logprobs");
        if (finishReason is null)
        {
            w.WriteNull("finish_reason");
        }
        else
        {
            w.WriteString("finish_reason", finishReason);
        }

        w.WriteEndObject();
        w.WriteEndArray();
        if (_request.IncludeUsage)
        {
            w.WriteNull("usage");
        }

        w.WriteEndObject();
        w.Flush();
        _output.Write("\n\n"u8);
    }

    /// <summary>The final chunk with no choices and the usage, sent when <c>stream_options.include_usage</c> is true.</summary>
    public void Usage(int promptTokens, int completionTokens)
    {
        var w = StartChunk();
        w.WriteStartArray("choices");
        w.WriteEndArray();
        CompletionWriter.WriteUsage(w, promptTokens, completionTokens);
        w.WriteEndObject();
        w.Flush();
        _output.Write("\n\n"u8);
    }

    public void Done() => _output.Write("data: [DONE]\n\n"u8);

    public void Dispose() => _json.Dispose();

    // Every chunk opens the same way: the SSE prefix and the completion's identity.
    private System.Text.Json.Utf8JsonWriter StartChunk()
    {
        _output.Write("data: "u8);
        _json.Reset(_output);
        var w = _json;
        w.WriteStartObject();
        w.WriteString("id", _id);
        w.WriteString("object", _chat ? "chat.completion.chunk" : "text_completion");
        w.WriteNumber("created", _created);
        w.WriteString("model", _request.Model);
        return w;
    }
}
