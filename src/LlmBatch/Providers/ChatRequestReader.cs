using System.Globalization;
using System.Text.Json;
using LlmBatch.Json;
using Microsoft.Extensions.AI;

namespace LlmBatch.Providers;

/// <summary>
/// Turns an OpenAI chat-completions body into Microsoft.Extensions.AI messages and options. Fields that
/// <see cref="ChatOptions"/> has no place for (<c>user</c>, <c>metadata</c>, <c>logprobs</c>, ...) are ignored;
/// fields of the wrong type and features an <see cref="IChatClient"/> cannot honour (<c>n</c> above 1) are refused
/// with a <see cref="ProviderRequestException"/> naming the field.
/// Over 400 lines because it does one job: the mapping of one request shape, the chat-completions body, field by field
/// (messages, content parts, tool calls, tools, tool choice, stop, response format) onto <see cref="ChatOptions"/> and
/// <see cref="ChatMessage"/>, with one set of type checks and one error form; it is the inverse of a single OpenAI
/// request schema, and the pieces would only be read together.
/// </summary>
internal static class ChatRequestReader
{
    /// <summary>Reads a body.</summary>
    /// <exception cref="ProviderRequestException">The body cannot be served.</exception>
    public static (List<ChatMessage> Messages, ChatOptions Options) Read(ReadOnlyMemory<byte> body)
    {
        using var document = ParseBody(body);
        var root = document.RootElement;
        var options = new ChatOptions();
        List<ChatMessage>? messages = null;
        int? maxTokens = null;
        int? maxCompletionTokens = null;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "messages":
                    messages = ReadMessages(value);
                    break;
                case "model":
                    options.ModelId = GetString(value, "model");
                    break;
                case "temperature":
                    options.Temperature = GetFloat(value, "temperature");
                    break;
                case "top_p":
                    options.TopP = GetFloat(value, "top_p");
                    break;
                case "frequency_penalty":
                    options.FrequencyPenalty = GetFloat(value, "frequency_penalty");
                    break;
                case "presence_penalty":
                    options.PresencePenalty = GetFloat(value, "presence_penalty");
                    break;
                case "max_tokens":
                    maxTokens = GetInt(value, "max_tokens");
                    break;
                case "max_completion_tokens":
                    maxCompletionTokens = GetInt(value, "max_completion_tokens");
                    break;
                case "seed":
                    options.Seed = value.ValueKind == JsonValueKind.Null ? null
                        : value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seed) ? seed
                        : throw Invalid("must be an integer", "seed");
                    break;
                case "stop":
                    options.StopSequences = ReadStop(value);
                    break;
                case "response_format":
                    options.ResponseFormat = ReadResponseFormat(value);
                    break;
                case "n":
                    if (value.ValueKind != JsonValueKind.Null && GetInt(value, "n") is > 1)
                    {
                        throw Invalid("n greater than 1 is not supported through an IChatClient; send one request per choice", "n");
                    }

                    break;
                case "tools":
                    options.Tools = ReadTools(value);
                    break;
                case "tool_choice":
                    options.ToolMode = ReadToolChoice(value);
                    break;
                case "parallel_tool_calls":
                    options.AllowMultipleToolCalls = value.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        JsonValueKind.Null => null,
                        _ => throw Invalid("must be a boolean", "parallel_tool_calls"),
                    };
                    break;
                default:
                    break;
            }
        }

        if (messages is null)
        {
            throw Invalid("messages is required", "messages");
        }

        // OpenAI's newer name wins when a body carries both.
        options.MaxOutputTokens = maxCompletionTokens ?? maxTokens;
        return (messages, options);
    }

    private static JsonDocument ParseBody(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, JsonLimits.Document);
        }
        catch (JsonException ex)
        {
            throw Invalid($"the body is not valid JSON: {ex.Message}", null);
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw Invalid("the body must be a JSON object", null);
        }

        return document;
    }

    private static List<ChatMessage> ReadMessages(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            throw Invalid("must be a non-empty array of messages", "messages");
        }

        var messages = new List<ChatMessage>(value.GetArrayLength());
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            messages.Add(ReadMessage(item, $"messages[{i}]"));
            i++;
        }

        return messages;
    }

    private static ChatMessage ReadMessage(JsonElement item, string path)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("must be an object", path);
        }

        var roleName = item.TryGetProperty("role", out var roleValue) && roleValue.ValueKind == JsonValueKind.String
            ? JsonText.GetLenient(roleValue)
            : throw Invalid("must be a string", path + ".role");
        var role = roleName switch
        {
            "system" or "developer" => ChatRole.System,
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            "tool" => ChatRole.Tool,
            _ => throw Invalid($"\"{roleName}\" is not a supported role; use system, developer, user, assistant or tool", path + ".role"),
        };

        var contents = new List<AIContent>();
        if (role == ChatRole.Tool)
        {
            var callId = item.TryGetProperty("tool_call_id", out var id) && id.ValueKind == JsonValueKind.String
                ? JsonText.GetLenient(id)
                : throw Invalid("a tool message needs a string tool_call_id", path + ".tool_call_id");
            contents.Add(new FunctionResultContent(callId, ReadToolResult(item, path)));
        }
        else
        {
            if (item.TryGetProperty("content", out var content))
            {
                ReadContent(content, path + ".content", contents);
            }

            if (role == ChatRole.Assistant && item.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind != JsonValueKind.Null)
            {
                ReadToolCalls(toolCalls, path + ".tool_calls", contents);
            }
        }

        var message = new ChatMessage(role, contents);
        if (item.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
        {
            message.AuthorName = JsonText.GetLenient(name);
        }

        return message;
    }

    private static string ReadToolResult(JsonElement item, string path)
    {
        if (!item.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return string.Empty;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return JsonText.GetLenient(content);
        }

        var parts = new List<AIContent>();
        ReadContent(content, path + ".content", parts);
        return string.Concat(parts.OfType<TextContent>().Select(t => t.Text));
    }

    private static void ReadContent(JsonElement content, string path, List<AIContent> contents)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.Null:
                return;
            case JsonValueKind.String:
                contents.Add(new TextContent(JsonText.GetLenient(content)));
                return;
            case JsonValueKind.Array:
                break;
            default:
                throw Invalid("must be a string or an array of content parts", path);
        }

        var j = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partPath = $"{path}[{j}]";
            var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
                ? JsonText.GetLenient(t)
                : throw Invalid("must be an object with a string type", partPath);
            switch (type)
            {
                case "text":
                case "refusal":
                    var key = type == "text" ? "text" : "refusal";
                    contents.Add(new TextContent(part.TryGetProperty(key, out var text) && text.ValueKind == JsonValueKind.String
                        ? JsonText.GetLenient(text)
                        : throw Invalid($"a {type} part needs a string {key}", $"{partPath}.{key}")));
                    break;
                case "image_url":
                    var url = part.TryGetProperty("image_url", out var image) && image.ValueKind == JsonValueKind.Object
                        && image.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String
                        ? JsonText.GetLenient(u)
                        : throw Invalid("an image_url part needs image_url.url", partPath + ".image_url.url");
                    contents.Add(ImageContent(url, partPath));
                    break;
                case "input_audio":
                    contents.Add(AudioContent(part, partPath));
                    break;
                default:
                    throw Invalid($"content parts of type \"{type}\" are not supported through an IChatClient", partPath + ".type");
            }

            j++;
        }
    }

    private static AIContent ImageContent(string url, string path)
    {
        try
        {
            return url.StartsWith("data:", StringComparison.OrdinalIgnoreCase)
                ? new DataContent(url)
                : new UriContent(url, "image/*");
        }
        catch (Exception ex) when (ex is UriFormatException or ArgumentException or FormatException)
        {
            throw Invalid($"the image URL is not usable: {ex.Message}", path + ".image_url.url");
        }
    }

    private static DataContent AudioContent(JsonElement part, string path)
    {
        if (!part.TryGetProperty("input_audio", out var audio) || audio.ValueKind != JsonValueKind.Object
            || !audio.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.String
            || !data.TryGetBytesFromBase64(out var bytes))
        {
            throw Invalid("an input_audio part needs base64 input_audio.data", path + ".input_audio.data");
        }

        var format = audio.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? JsonText.GetLenient(f) : "wav";
        return new DataContent(bytes, "audio/" + format);
    }

    private static void ReadToolCalls(JsonElement toolCalls, string path, List<AIContent> contents)
    {
        if (toolCalls.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("must be an array", path);
        }

        var k = 0;
        foreach (var call in toolCalls.EnumerateArray())
        {
            var callPath = $"{path}[{k}]";
            if (call.ValueKind != JsonValueKind.Object
                || !call.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                throw Invalid("a tool call needs a string id and function.name", callPath);
            }

            IDictionary<string, object?>? arguments = null;
            if (function.TryGetProperty("arguments", out var args) && args.ValueKind == JsonValueKind.String)
            {
                arguments = ParseArguments(JsonText.GetLenient(args), callPath + ".function.arguments");
            }

            contents.Add(new FunctionCallContent(JsonText.GetLenient(id), JsonText.GetLenient(name), arguments));
            k++;
        }
    }

    private static Dictionary<string, object?>? ParseArguments(string json, string path)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json, JsonLimits.Document);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("must be a JSON object in a string", path);
            }

            var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                arguments[property.Name] = property.Value.Clone();
            }

            return arguments;
        }
        catch (JsonException ex)
        {
            throw Invalid($"is not valid JSON: {ex.Message}", path);
        }
    }

    private static List<AITool> ReadTools(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("must be an array", "tools");
        }

        var tools = new List<AITool>(value.GetArrayLength());
        var i = 0;
        foreach (var tool in value.EnumerateArray())
        {
            var path = $"tools[{i}]";
            if (tool.ValueKind != JsonValueKind.Object
                || !tool.TryGetProperty("type", out var type) || !type.ValueEquals("function")
                || !tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                throw Invalid("only function tools with a function.name are supported", path);
            }

            var description = function.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? JsonText.GetLenient(d) : null;
            var schema = function.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
                ? p.Clone()
                : EmptyObjectSchema();
            tools.Add(AIFunctionFactory.CreateDeclaration(JsonText.GetLenient(name), description, schema));
            i++;
        }

        return tools;
    }

    private static ChatToolMode? ReadToolChoice(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return JsonText.GetLenient(value) switch
            {
                "auto" => ChatToolMode.Auto,
                "none" => ChatToolMode.None,
                "required" => ChatToolMode.RequireAny,
                var other => throw Invalid($"\"{other}\" is not a tool choice; use auto, none, required or a function", "tool_choice"),
            };
        }

        if (value.ValueKind == JsonValueKind.Object
            && value.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object
            && function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
        {
            return ChatToolMode.RequireSpecific(JsonText.GetLenient(name));
        }

        throw Invalid("must be auto, none, required or {\"type\":\"function\",\"function\":{\"name\":...}}", "tool_choice");
    }

    private static List<string>? ReadStop(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                return [JsonText.GetLenient(value)];
            case JsonValueKind.Array:
                var stops = new List<string>(value.GetArrayLength());
                foreach (var s in value.EnumerateArray())
                {
                    stops.Add(s.ValueKind == JsonValueKind.String ? JsonText.GetLenient(s) : throw Invalid("must be a string or an array of strings", "stop"));
                }

                return stops;
            default:
                throw Invalid("must be a string or an array of strings", "stop");
        }
    }

    private static ChatResponseFormat? ReadResponseFormat(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var type = value.ValueKind == JsonValueKind.Object && value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? JsonText.GetLenient(t)
            : throw Invalid("must be an object with a string type", "response_format");
        switch (type)
        {
            case "text":
                return ChatResponseFormat.Text;
            case "json_object":
                return ChatResponseFormat.Json;
            case "json_schema":
                if (!value.TryGetProperty("json_schema", out var spec) || spec.ValueKind != JsonValueKind.Object
                    || !spec.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
                {
                    throw Invalid("a json_schema response format needs json_schema.schema", "response_format.json_schema.schema");
                }

                var name = spec.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? JsonText.GetLenient(n) : null;
                var description = spec.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? JsonText.GetLenient(d) : null;
                return ChatResponseFormat.ForJsonSchema(schema.Clone(), name, description);
            default:
                throw Invalid($"\"{type}\" is not a response format; use text, json_object or json_schema", "response_format.type");
        }
    }

    private static JsonElement EmptyObjectSchema()
    {
        using var document = JsonDocument.Parse("""{"type":"object","properties":{}}""");
        return document.RootElement.Clone();
    }

    private static string? GetString(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.String => JsonText.GetLenient(value),
        JsonValueKind.Null => null,
        _ => throw Invalid("must be a string", name),
    };

    private static float? GetFloat(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.Number => (float)value.GetDouble(),
        JsonValueKind.Null => null,
        _ => throw Invalid("must be a number", name),
    };

    private static int? GetInt(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetInt32(out var n) && n >= 0 => n,
        JsonValueKind.Null => null,
        _ => throw Invalid("must be a non-negative integer", name),
    };

    private static ProviderRequestException Invalid(string message, string? param) =>
        new(param is null ? message : string.Create(CultureInfo.InvariantCulture, $"{param}: {message}"), param);
}
