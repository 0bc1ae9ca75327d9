using System.Buffers;
using System.Text.Json;
using LlmBatch.Providers;
using Microsoft.Extensions.AI;

namespace LlmBatch.Typed;

/// <summary>
/// Turns Microsoft.Extensions.AI messages and <see cref="ChatOptions"/> into an OpenAI chat-completions body: the inverse
/// of <c>Providers/ChatRequestReader</c>, so that a typed item reaches the engine as the same bytes an input line would.
/// Content an OpenAI-compatible server cannot take (a <see cref="DataContent"/> that is neither an image nor audio, a
/// tool that is not a function) is refused with a <see cref="NotSupportedException"/> naming it, which the runner turns
/// into that item's failure instead of sending something the caller did not ask for.
/// </summary>
internal static class ChatRequestWriter
{
    // Written from typed members; an AdditionalProperties entry of the same name would be a duplicate key, which the
    // line parser rightly refuses, so the typed member wins.
    private static readonly HashSet<string> TypedFields =
    [
        "model", "messages", "temperature", "top_p", "frequency_penalty", "presence_penalty", "seed", "stop",
        "max_completion_tokens", "max_tokens", "response_format", "tools", "tool_choice", "parallel_tool_calls",
    ];

    /// <summary>Writes the body.</summary>
    /// <exception cref="NotSupportedException">A message or option cannot be expressed as an OpenAI request.</exception>
    /// <exception cref="ArgumentException">No model is given, or there is no message.</exception>
    public static byte[] Write(IList<ChatMessage> messages, ChatOptions? options, string? defaultModel)
    {
        var model = options?.ModelId ?? defaultModel;
        if (string.IsNullOrWhiteSpace(model))
        {
            throw new ArgumentException("no model: set ChatOptions.ModelId or the runner's ChatModel.");
        }

        if (messages.Count == 0 && string.IsNullOrEmpty(options?.Instructions))
        {
            throw new ArgumentException("no messages.");
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, model);
            writer.WriteStartArray("messages"u8);
            if (!string.IsNullOrEmpty(options?.Instructions))
            {
                writer.WriteStartObject();
                writer.WriteString("role"u8, "system"u8);
                writer.WriteString("content"u8, options.Instructions);
                writer.WriteEndObject();
            }

            foreach (var message in messages)
            {
                WriteMessage(writer, message);
            }

            writer.WriteEndArray();
            if (options is not null)
            {
                WriteOptions(writer, options);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteMessage(Utf8JsonWriter writer, ChatMessage message)
    {
        // A tool message carries one result; M.E.AI puts several results in one message, OpenAI wants one message each.
        List<AIContent>? parts = null;
        List<FunctionCallContent>? calls = null;
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case FunctionResultContent result:
                    writer.WriteStartObject();
                    writer.WriteString("role"u8, "tool"u8);
                    writer.WriteString("tool_call_id"u8, result.CallId);
                    writer.WriteString("content"u8, ResultText(result.Result));
                    writer.WriteEndObject();
                    break;
                case FunctionCallContent call:
                    (calls ??= []).Add(call);
                    break;
                case TextContent or DataContent or UriContent:
                    (parts ??= []).Add(content);
                    break;
                case TextReasoningContent or UsageContent:
                    // The model's own reasoning and usage are not sent back to it.
                    break;
                default:
                    throw new NotSupportedException($"{content.GetType().Name} in a {message.Role} message cannot be sent as an OpenAI chat message.");
            }
        }

        if (parts is null && calls is null)
        {
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("role"u8, message.Role.Value);
        if (!string.IsNullOrEmpty(message.AuthorName))
        {
            writer.WriteString("name"u8, message.AuthorName);
        }

        writer.WritePropertyName("content"u8);
        WriteContent(writer, parts, message.Role);
        if (calls is not null)
        {
            ChatCompletionWriter.WriteToolCalls(writer, calls);
        }

        writer.WriteEndObject();
    }

    private static void WriteContent(Utf8JsonWriter writer, List<AIContent>? parts, ChatRole role)
    {
        if (parts is null)
        {
            writer.WriteNullValue();
            return;
        }

        if (parts.TrueForAll(static p => p is TextContent))
        {
            // The plain-string form every OpenAI-compatible server accepts, not only those that take content parts.
            writer.WriteStringValue(string.Concat(parts.Select(static p => ((TextContent)p).Text)));
            return;
        }

        writer.WriteStartArray();
        foreach (var part in parts)
        {
            writer.WriteStartObject();
            switch (part)
            {
                case TextContent text:
                    writer.WriteString("type"u8, "text"u8);
                    writer.WriteString("text"u8, text.Text);
                    break;
                case DataContent data when data.HasTopLevelMediaType("image"):
                    WriteImage(writer, data.Uri);
                    break;
                case UriContent uri when uri.HasTopLevelMediaType("image"):
                    WriteImage(writer, uri.Uri.ToString());
                    break;
                case DataContent audio when audio.HasTopLevelMediaType("audio"):
                    writer.WriteString("type"u8, "input_audio"u8);
                    writer.WriteStartObject("input_audio"u8);
                    writer.WriteBase64String("data"u8, audio.Data.Span);
                    writer.WriteString("format"u8, AudioFormat(audio.MediaType));
                    writer.WriteEndObject();
                    break;
                default:
                    throw new NotSupportedException($"{part.GetType().Name} ({MediaType(part)}) in a {role} message cannot be sent as an OpenAI content part; images and audio can.");
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteImage(Utf8JsonWriter writer, string url)
    {
        writer.WriteString("type"u8, "image_url"u8);
        writer.WriteStartObject("image_url"u8);
        writer.WriteString("url"u8, url);
        writer.WriteEndObject();
    }

    private static string AudioFormat(string mediaType) =>
        mediaType.Equals("audio/mpeg", StringComparison.OrdinalIgnoreCase) ? "mp3" : mediaType["audio/".Length..];

    private static string MediaType(AIContent content) => content switch
    {
        DataContent data => data.MediaType,
        UriContent uri => uri.MediaType,
        _ => "",
    };

    private static string ResultText(object? result) => result switch
    {
        null => "",
        string text => text,
        _ => JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(object))),
    };

    private static void WriteOptions(Utf8JsonWriter writer, ChatOptions options)
    {
        WriteNumber(writer, "temperature"u8, options.Temperature);
        WriteNumber(writer, "top_p"u8, options.TopP);
        WriteNumber(writer, "frequency_penalty"u8, options.FrequencyPenalty);
        WriteNumber(writer, "presence_penalty"u8, options.PresencePenalty);
        if (options.Seed is { } seed)
        {
            writer.WriteNumber("seed"u8, seed);
        }

        if (options.MaxOutputTokens is { } max)
        {
            // The name OpenAI's own SDK sends; max_tokens is refused by its reasoning models. The engine reads both.
            writer.WriteNumber("max_completion_tokens"u8, max);
        }

        if (options.StopSequences is { Count: > 0 } stops)
        {
            writer.WriteStartArray("stop"u8);
            foreach (var stop in stops)
            {
                writer.WriteStringValue(stop);
            }

            writer.WriteEndArray();
        }

        WriteResponseFormat(writer, options.ResponseFormat);
        WriteTools(writer, options);
        foreach (var (key, value) in options.AdditionalProperties ?? [])
        {
            if (!TypedFields.Contains(key))
            {
                writer.WritePropertyName(key);
                JsonSerializer.Serialize(writer, value, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(object)));
            }
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, ReadOnlySpan<byte> name, float? value)
    {
        if (value is { } number)
        {
            // Through decimal (a float's 7 significant digits), so 0.7f is sent as 0.7 and not 0.699999988079071.
            writer.WriteNumber(name, (decimal)number);
        }
    }

    private static void WriteResponseFormat(Utf8JsonWriter writer, ChatResponseFormat? format)
    {
        switch (format)
        {
            case null:
                return;
            case ChatResponseFormatText:
                writer.WriteStartObject("response_format"u8);
                writer.WriteString("type"u8, "text"u8);
                writer.WriteEndObject();
                return;
            case ChatResponseFormatJson { Schema: null }:
                writer.WriteStartObject("response_format"u8);
                writer.WriteString("type"u8, "json_object"u8);
                writer.WriteEndObject();
                return;
            case ChatResponseFormatJson json:
                writer.WriteStartObject("response_format"u8);
                writer.WriteString("type"u8, "json_schema"u8);
                writer.WriteStartObject("json_schema"u8);
                writer.WriteString("name"u8, json.SchemaName ?? "response");
                if (json.SchemaDescription is { } description)
                {
                    writer.WriteString("description"u8, description);
                }

                writer.WritePropertyName("schema"u8);
                json.Schema.Value.WriteTo(writer);
                writer.WriteEndObject();
                writer.WriteEndObject();
                return;
            default:
                throw new NotSupportedException($"the response format {format.GetType().Name} has no OpenAI form.");
        }
    }

    private static void WriteTools(Utf8JsonWriter writer, ChatOptions options)
    {
        if (options.Tools is { Count: > 0 } tools)
        {
            writer.WriteStartArray("tools"u8);
            foreach (var tool in tools)
            {
                if (tool is not AIFunctionDeclaration function)
                {
                    throw new NotSupportedException($"the tool {tool.Name} ({tool.GetType().Name}) is not a function; only function tools can be sent.");
                }

                writer.WriteStartObject();
                writer.WriteString("type"u8, "function"u8);
                writer.WriteStartObject("function"u8);
                writer.WriteString("name"u8, function.Name);
                if (!string.IsNullOrEmpty(function.Description))
                {
                    writer.WriteString("description"u8, function.Description);
                }

                writer.WritePropertyName("parameters"u8);
                function.JsonSchema.WriteTo(writer);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        switch (options.ToolMode)
        {
            case null:
                break;
            case NoneChatToolMode:
                writer.WriteString("tool_choice"u8, "none"u8);
                break;
            case AutoChatToolMode:
                writer.WriteString("tool_choice"u8, "auto"u8);
                break;
            case RequiredChatToolMode { RequiredFunctionName: null }:
                writer.WriteString("tool_choice"u8, "required"u8);
                break;
            case RequiredChatToolMode required:
                writer.WriteStartObject("tool_choice"u8);
                writer.WriteString("type"u8, "function"u8);
                writer.WriteStartObject("function"u8);
                writer.WriteString("name"u8, required.RequiredFunctionName);
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
        }

        if (options.AllowMultipleToolCalls is { } parallel)
        {
            writer.WriteBoolean("parallel_tool_calls"u8, parallel);
        }
    }
}
