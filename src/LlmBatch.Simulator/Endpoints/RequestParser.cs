using System.Collections.Frozen;
using System.IO.Hashing;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Json;

namespace LlmBatch.Simulator;

/// <summary>
/// Validates a request body the way OpenAI does (required parameters, types, ranges, unknown arguments) in one
/// <see cref="Utf8JsonReader"/> pass, and extracts what the simulator needs. Messages follow OpenAI's wording.
/// </summary>
internal static class RequestParser
{
    public const string UnparsableBody =
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. "
        + "The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";

    private static readonly FrozenSet<string> ChatParameters = FrozenSet.Create(StringComparer.Ordinal,
        "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "n", "temperature", "top_p",
        "stop", "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "user", "seed", "tools",
        "tool_choice", "parallel_tool_calls", "response_format", "functions", "function_call", "metadata", "store",
        "service_tier", "reasoning_effort", "modalities", "audio", "prediction", "web_search_options", "verbosity",
        "prompt_cache_key", "safety_identifier");

    private static readonly FrozenSet<string> CompletionParameters = FrozenSet.Create(StringComparer.Ordinal,
        "model", "prompt", "suffix", "max_tokens", "temperature", "top_p", "n", "stream", "stream_options", "logprobs", "echo",
        "stop", "presence_penalty", "frequency_penalty", "best_of", "logit_bias", "user", "seed");

    private static readonly FrozenSet<string> EmbeddingParameters = FrozenSet.Create(StringComparer.Ordinal,
        "model", "input", "encoding_format", "dimensions", "user");

    private static readonly FrozenSet<string> Roles = FrozenSet.Create(StringComparer.Ordinal,
        "system", "assistant", "user", "function", "tool", "developer");

    /// <summary>Parses and validates <paramref name="body"/> into <paramref name="into"/>; returns the first problem, or null.</summary>
    public static RequestError? Parse(ReadOnlySpan<byte> body, long seed, ParsedRequest into)
    {
        try
        {
            return ParseCore(body, unchecked((ulong)seed), into);
        }
        catch (JsonException)
        {
            return new RequestError(UnparsableBody, null, null);
        }
        catch (InvalidOperationException)
        {
            // Valid JSON that is not valid text (an escaped lone surrogate, bytes that are not UTF-8 in a name or
            // value read as a string): refused as OpenAI refuses it, not a 500.
            return new RequestError(UnparsableBody, null, null);
        }
    }

    private static RequestError? ParseCore(ReadOnlySpan<byte> body, ulong seed, ParsedRequest into)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return new RequestError(UnparsableBody, null, null);
        }

        var known = into.Endpoint switch
        {
            BatchEndpointKind.ChatCompletions => ChatParameters,
            BatchEndpointKind.Completions => CompletionParameters,
            _ => EmbeddingParameters,
        };
        RequestError? error = null;
        bool hasModel = false, hasMessages = false, hasPrompt = false, hasInput = false, hasStreamOptions = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (error is not null)
            {
                reader.Skip();
                continue;
            }

            if (!known.Contains(name))
            {
                error = new RequestError($"Unrecognized request argument supplied: {name}", null, null);
                reader.Skip();
                continue;
            }

            switch (name)
            {
                case "model":
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        error = InvalidType("model", "a string", reader.TokenType);
                        break;
                    }

                    into.Model = reader.GetString()!;
                    hasModel = into.Model.Length > 0;
                    break;
                case "messages":
                    hasMessages = true;
                    error = Messages(ref reader);
                    break;
                case "prompt":
                    hasPrompt = true;
                    error = Prompt(ref reader, into);
                    break;
                case "input":
                    hasInput = true;
                    error = Input(ref reader, seed, body, into);
                    break;
                case "stream":
                    if (reader.TokenType is JsonTokenType.True or JsonTokenType.False)
                    {
                        into.Stream = reader.GetBoolean();
                        into.StreamValueOffset = into.Stream ? (int)reader.TokenStartIndex : -1;
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        error = InvalidType("stream", "a boolean", reader.TokenType);
                    }

                    break;
                case "stream_options":
                    hasStreamOptions = reader.TokenType != JsonTokenType.Null;
                    error = StreamOptions(ref reader, into);
                    break;
                case "max_tokens" or "max_completion_tokens":
                    error = Integer(ref reader, name, 1, int.MaxValue, out var max);

                    // max_completion_tokens supersedes max_tokens, as on OpenAI and in the client's estimate.
                    if (max is not null && (into.MaxTokens is null || name == "max_completion_tokens"))
                    {
                        into.MaxTokens = max;
                    }

                    break;
                case "n":
                    error = Integer(ref reader, name, 1, 128, out var n);
                    into.N = n ?? 1;
                    break;
                case "dimensions":
                    error = Integer(ref reader, name, 1, 65536, out var dims);
                    into.Dimensions = dims;
                    break;
                case "temperature":
                    error = Number(ref reader, name, 0, 2);
                    break;
                case "top_p":
                    error = Number(ref reader, name, 0, 1);
                    break;
                case "encoding_format":
                    if (reader.TokenType == JsonTokenType.String && (JsonText.Is(ref reader, "float"u8) || JsonText.Is(ref reader, "base64"u8)))
                    {
                        into.Base64 = JsonText.Is(ref reader, "base64"u8);
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        error = new RequestError("Invalid value for 'encoding_format': expected 'float' or 'base64'.", "encoding_format", "invalid_value");
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (error is not null)
        {
            return error;
        }

        if (!hasModel)
        {
            return new RequestError("you must provide a model parameter", null, null);
        }

        if (into.Endpoint == BatchEndpointKind.ChatCompletions && !hasMessages)
        {
            return Missing("messages");
        }

        if (into.Endpoint == BatchEndpointKind.Completions && !hasPrompt)
        {
            return Missing("prompt");
        }

        if (into.Endpoint == BatchEndpointKind.Embeddings && !hasInput)
        {
            return Missing("input");
        }

        if (hasStreamOptions && !into.Stream)
        {
            return new RequestError("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", null);
        }

        return null;
    }

    private static RequestError? Messages(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            var e = InvalidType("messages", "an array", reader.TokenType);
            reader.Skip();
            return e;
        }

        var index = 0;
        RequestError? error = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (error is not null)
            {
                reader.Skip();
                continue;
            }

            var at = $"messages[{index}]";
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                error = InvalidType(at, "an object", reader.TokenType);
                reader.Skip();
                index++;
                continue;
            }

            string? role = null;
            var contentKind = JsonTokenType.None;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isRole = JsonText.Is(ref reader, "role"u8);
                var isContent = JsonText.Is(ref reader, "content"u8);
                reader.Read();
                if (isRole && reader.TokenType == JsonTokenType.String)
                {
                    role = reader.GetString();
                }
                else if (isRole)
                {
                    error ??= InvalidType(at + ".role", "a string", reader.TokenType);
                }
                else if (isContent)
                {
                    contentKind = reader.TokenType;
                }

                reader.Skip();
            }

            if (error is null)
            {
                error = role is null
                    ? Missing(at + ".role")
                    : !Roles.Contains(role)
                        ? new RequestError($"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.", at + ".role", "invalid_value")
                        : contentKind is JsonTokenType.None && role != "assistant"
                            ? Missing(at + ".content")
                            : contentKind is not (JsonTokenType.None or JsonTokenType.String or JsonTokenType.StartArray or JsonTokenType.Null)
                                ? InvalidType(at + ".content", "one of a string or array of objects", contentKind)
                                : null;
            }

            index++;
        }

        if (error is null && index == 0)
        {
            error = new RequestError("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "messages", "empty_array");
        }

        return error;
    }

    private static RequestError? Prompt(ref Utf8JsonReader reader, ParsedRequest into)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            var e = InvalidType("prompt", "a string or array", reader.TokenType);
            reader.Skip();
            return e;
        }

        var count = 0;
        var tokensOnly = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            tokensOnly &= reader.TokenType == JsonTokenType.Number;
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Number or JsonTokenType.StartArray))
            {
                reader.Skip();
                return InvalidType($"prompt[{count}]", "a string or array of integers", reader.TokenType);
            }

            reader.Skip();
            count++;
        }

        if (count == 0)
        {
            return new RequestError("Invalid 'prompt': empty array. Expected an array with minimum length 1, but got an empty array instead.", "prompt", "empty_array");
        }

        // An array of integers is one tokenized prompt; an array of strings or of token arrays is several prompts.
        into.Prompts = tokensOnly ? 1 : count;
        return null;
    }

    private static RequestError? Input(ref Utf8JsonReader reader, ulong seed, ReadOnlySpan<byte> body, ParsedRequest into)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            if (reader.ValueSpan.IsEmpty)
            {
                return new RequestError("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", null, null);
            }

            into.InputHashes.Add(XxHash3.HashToUInt64(reader.ValueSpan, unchecked((long)seed)));
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            var e = InvalidType("input", "a string or array", reader.TokenType);
            reader.Skip();
            return e;
        }

        var start = (int)reader.TokenStartIndex;
        var allNumbers = true;
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var itemStart = (int)reader.TokenStartIndex;
            switch (reader.TokenType)
            {
                case JsonTokenType.String when reader.ValueSpan.IsEmpty:
                    reader.Skip();
                    return new RequestError("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", null, null);
                case JsonTokenType.String:
                    allNumbers = false;
                    into.InputHashes.Add(XxHash3.HashToUInt64(reader.ValueSpan, unchecked((long)seed)));
                    break;
                case JsonTokenType.Number:
                    break;
                case JsonTokenType.StartArray:
                    allNumbers = false;
                    reader.Skip();
                    into.InputHashes.Add(XxHash3.HashToUInt64(body[itemStart..(int)reader.BytesConsumed], unchecked((long)seed)));
                    break;
                default:
                    reader.Skip();
                    return InvalidType($"input[{count}]", "a string or array of integers", reader.TokenType);
            }

            count++;
        }

        if (count == 0)
        {
            return new RequestError("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", null, null);
        }

        if (count > 2048)
        {
            return new RequestError($"Invalid 'input': array too long. Expected an array with maximum length 2048, but got an array with length {count} instead.", "input", "array_above_max_length");
        }

        if (allNumbers)
        {
            into.InputHashes.Clear();
            into.InputHashes.Add(XxHash3.HashToUInt64(body[start..(int)reader.BytesConsumed], unchecked((long)seed)));
        }

        return null;
    }

    private static RequestError? StreamOptions(ref Utf8JsonReader reader, ParsedRequest into)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var e = InvalidType("stream_options", "an object", reader.TokenType);
            reader.Skip();
            return e;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isUsage = JsonText.Is(ref reader, "include_usage"u8);
            reader.Read();
            if (isUsage && reader.TokenType is JsonTokenType.True or JsonTokenType.False)
            {
                into.IncludeUsage = reader.GetBoolean();
            }

            reader.Skip();
        }

        return null;
    }

    private static RequestError? Integer(ref Utf8JsonReader reader, string name, int min, int max, out int? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var v))
        {
            var e = InvalidType(name, "an integer", reader.TokenType);
            reader.Skip();
            return e;
        }

        if (v < min)
        {
            return new RequestError($"Invalid '{name}': integer below minimum value. Expected a value >= {min}, but got {v} instead.", name, "integer_below_min_value");
        }

        if (v > max)
        {
            return new RequestError($"Invalid '{name}': integer above maximum value. Expected a value <= {max}, but got {v} instead.", name, "integer_above_max_value");
        }

        value = (int)v;
        return null;
    }

    private static RequestError? Number(ref Utf8JsonReader reader, string name, double min, double max)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.Number)
        {
            var e = InvalidType(name, "a number", reader.TokenType);
            reader.Skip();
            return e;
        }

        var v = reader.GetDouble();
        return v < min
            ? new RequestError($"Invalid '{name}': decimal below minimum value. Expected a value >= {min}, but got {v} instead.", name, "decimal_below_min_value")
            : v > max
                ? new RequestError($"Invalid '{name}': decimal above maximum value. Expected a value <= {max}, but got {v} instead.", name, "decimal_above_max_value")
                : null;
    }

    private static RequestError Missing(string param) => new($"Missing required parameter: '{param}'.", param, "missing_required_parameter");

    private static RequestError InvalidType(string param, string expected, JsonTokenType found) =>
        new($"Invalid type for '{param}': expected {expected}, but got {Describe(found)} instead.", param, "invalid_type");

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        _ => "an unexpected value",
    };
}
