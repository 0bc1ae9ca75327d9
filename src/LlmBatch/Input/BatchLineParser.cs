using System.Text;
using System.Text.Json;
using LlmBatch.Json;

namespace LlmBatch.Input;

/// <summary>
/// Parses one Batch API input line into a <see cref="BatchRequest"/>, reporting every problem of the line with its field.
/// One pass of <see cref="Utf8JsonReader"/> over the line: no DOM is built for the hot path.
/// Over 400 lines because it does one job: the rules of a request line, field by field, in one reader pass whose
/// state (the fields seen, the body's span, the errors so far) the checks share; split, they would pass it around.
/// </summary>
internal static class BatchLineParser
{
    private const string LoneSurrogate = "holds an unpaired surrogate escape (such as \\ud83d, often left by cutting text in the middle of an emoji); it must be valid Unicode";

    private const string DuplicateKey = "appears twice in the same object; give each key once (JSON readers disagree on which one counts, so the provider could read another request than the one checked here)";

    /// <summary>Parses a line. Returns null and adds to <paramref name="errors"/> when the line is invalid.</summary>
    public static BatchRequest? ParseLine(ReadOnlyMemory<byte> line, string path, long lineNumber, List<BatchInputError> errors)
        => ParseLine(line, path, lineNumber, errors, copyBody: false);

    /// <summary>
    /// Parses a line. With <paramref name="copyBody"/> the request's body is copied into an exact-size array, so the
    /// request stays valid after <paramref name="line"/> (a pooled read buffer) is reused; otherwise it slices the line.
    /// With <paramref name="checkedBefore"/> (a file this parser passed already, read again to be run) the body is read
    /// in the same pass as the line instead of walked for repeated keys and then read again: one pass over the body
    /// instead of two, which the request's own fields still go through; a line changed since is still refused for any
    /// other problem.
    /// </summary>
    public static BatchRequest? ParseLine(ReadOnlyMemory<byte> line, string path, long lineNumber, List<BatchInputError> errors, bool copyBody, bool checkedBefore = false)
    {
        var span = line.Span;
        var reader = new Utf8JsonReader(span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = JsonLimits.MaxDepth });
        string? customId = null;
        string? method = null;
        string? url = null;
        ReadOnlyMemory<byte> body = default;
        string? model = null;
        int? maxTokens = null;
        var deterministic = false;
        var before = errors.Count;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                errors.Add(new BatchInputError(path, lineNumber, "", "the line is not a JSON object"));
                return null;
            }

            // Keys seen at the top (bit flags for the four the line is made of, names for others): a repeat anywhere
            // is refused, at the top here, inside values by the duplicate-key walk that replaces Skip.
            var seen = 0;
            List<string>? others = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = JsonText.Is(ref reader, "custom_id"u8) ? 1
                    : JsonText.Is(ref reader, "method"u8) ? 2
                    : JsonText.Is(ref reader, "url"u8) ? 4
                    : JsonText.Is(ref reader, "body"u8) ? 8
                    : 0;
                string? otherName = null;
                if (field != 0 && (seen & field) != 0)
                {
                    errors.Add(new BatchInputError(path, lineNumber, FieldName(field), DuplicateKey));
                    return null;
                }

                if (field == 0)
                {
                    otherName = JsonText.TryGetString(ref reader, out var n) ? n : "\uffff" + Encoding.UTF8.GetString(reader.ValueSpan);
                    if (others?.Contains(otherName) == true)
                    {
                        errors.Add(new BatchInputError(path, lineNumber, otherName, DuplicateKey));
                        return null;
                    }

                    (others ??= []).Add(otherName);
                }

                seen |= field;
                reader.Read();
                switch (field)
                {
                    case 1 when reader.TokenType != JsonTokenType.String:
                        errors.Add(new BatchInputError(path, lineNumber, "custom_id", $"must be a string (found {Describe(reader.TokenType)})"));
                        reader.Skip();
                        break;
                    case 1:
                        if (JsonText.TryGetString(ref reader, out var id))
                        {
                            customId = id;
                        }
                        else
                        {
                            errors.Add(new BatchInputError(path, lineNumber, "custom_id", LoneSurrogate));
                        }

                        break;
                    case 2:
                        method = reader.TokenType != JsonTokenType.String ? null
                            : JsonText.Is(ref reader, "POST"u8) ? "POST"
                            : JsonText.GetLenient(ref reader);
                        if (method is null)
                        {
                            errors.Add(new BatchInputError(path, lineNumber, "method", $"must be the string \"POST\" (found {Describe(reader.TokenType)})"));
                            reader.Skip();
                        }

                        break;
                    case 4:
                        url = reader.TokenType == JsonTokenType.String ? KnownUrlOrString(ref reader) : null;
                        if (url is null)
                        {
                            errors.Add(new BatchInputError(path, lineNumber, "url", $"must be a string (found {Describe(reader.TokenType)})"));
                            reader.Skip();
                        }

                        break;
                    case 8 when checkedBefore:
                        var bodyStart = (int)reader.TokenStartIndex;
                        InspectBody(ref reader, path, lineNumber, errors, out model, out maxTokens, out deterministic);
                        body = line[bodyStart..(int)reader.BytesConsumed];
                        break;
                    case 8:
                        var start = (int)reader.TokenStartIndex;
                        if (JsonDuplicateKeys.TrySkip(ref reader, "body", out var repeatedInBody))
                        {
                            errors.Add(new BatchInputError(path, lineNumber, repeatedInBody, DuplicateKey));
                            return null;
                        }

                        body = line[start..(int)reader.BytesConsumed];
                        break;
                    default:
                        if (checkedBefore)
                        {
                            reader.Skip();
                        }
                        else if (JsonDuplicateKeys.TrySkip(ref reader, otherName!, out var repeated))
                        {
                            errors.Add(new BatchInputError(path, lineNumber, repeated, DuplicateKey));
                            return null;
                        }

                        break;
                }
            }

            // Anything after the object (a second object, stray text) makes the line invalid.
            if (reader.Read())
            {
                errors.Add(new BatchInputError(path, lineNumber, "", "unexpected content after the JSON object"));
            }

            if (!body.IsEmpty && !checkedBefore)
            {
                InspectBody(body.Span, path, lineNumber, errors, out model, out maxTokens, out deterministic);
            }
        }
        catch (JsonException ex)
        {
            errors.Add(new BatchInputError(path, lineNumber, "", $"invalid JSON: {Trim(ex.Message)}"));
            return null;
        }

        if (customId is null)
        {
            if (errors.Count == before)
            {
                errors.Add(new BatchInputError(path, lineNumber, "custom_id", "is missing"));
            }
        }
        else if (customId.Length == 0)
        {
            errors.Add(new BatchInputError(path, lineNumber, "custom_id", "must not be empty"));
        }

        if (method is not null && !string.Equals(method, "POST", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(new BatchInputError(path, lineNumber, "method", $"must be POST (was \"{method}\")"));
        }
        else if (method is null && errors.Count == before)
        {
            errors.Add(new BatchInputError(path, lineNumber, "method", "is missing (expected \"POST\")"));
        }

        BatchEndpointKind kind = default;
        if (url is null)
        {
            if (!HasField(errors, before, "url"))
            {
                errors.Add(new BatchInputError(path, lineNumber, "url", "is missing (expected for example \"" + EndpointPaths.ChatCompletions + "\")"));
            }
        }
        else if (!TryGetEndpoint(url, out kind))
        {
            errors.Add(new BatchInputError(path, lineNumber, "url", $"\"{url}\" is not supported; use {EndpointPaths.Supported}"));
        }

        if (body.IsEmpty)
        {
            errors.Add(new BatchInputError(path, lineNumber, "body", "is missing"));
        }

        if (errors.Count != before)
        {
            return null;
        }

        return new BatchRequest(customId!, kind, url!, copyBody ? body.ToArray() : body, model!, maxTokens, lineNumber, deterministic);
    }

    /// <summary>
    /// True when the text is the start of a JSON object or array that ends before it is closed: what a truncated
    /// line, or the first line of a pretty-printed document, looks like. False for complete or otherwise invalid JSON.
    /// </summary>
    public static bool IsIncompleteJson(ReadOnlySpan<byte> text)
    {
        var reader = new Utf8JsonReader(text, isFinalBlock: false, state: default);
        try
        {
            if (!reader.Read() || reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
            {
                return false;
            }

            while (reader.Read())
            {
                if (reader.CurrentDepth == 0)
                {
                    return false;
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Builds a request from parts given in code; throws with every problem found.</summary>
    public static BatchRequest FromParts(string customId, string url, ReadOnlyMemory<byte> body)
    {
        var errors = new List<BatchInputError>();
        if (customId.Length == 0)
        {
            errors.Add(new BatchInputError("(code)", 0, "custom_id", "must not be empty"));
        }

        if (!TryGetEndpoint(url, out var kind))
        {
            errors.Add(new BatchInputError("(code)", 0, "url", $"\"{url}\" is not supported; use {EndpointPaths.Supported}"));
        }

        if (HasLoneSurrogate(customId))
        {
            errors.Add(new BatchInputError("(code)", 0, "custom_id", LoneSurrogate));
        }

        string? model = null;
        int? maxTokens = null;
        var deterministic = false;
        try
        {
            if (JsonDuplicateKeys.TryFind(body.Span, out var repeated))
            {
                errors.Add(new BatchInputError("(code)", 0, "body." + repeated, DuplicateKey));
            }

            InspectBody(body.Span, "(code)", 0, errors, out model, out maxTokens, out deterministic);
        }
        catch (JsonException ex)
        {
            errors.Add(new BatchInputError("(code)", 0, "body", $"invalid JSON: {Trim(ex.Message)}"));
        }

        if (errors.Count > 0)
        {
            throw new BatchInputException(errors);
        }

        return new BatchRequest(customId, kind, url, body, model!, maxTokens, 0, deterministic);
    }

    /// <summary>Maps a Batch API url to its endpoint; accepts the path with or without the <c>/v1</c> prefix.</summary>
    public static bool TryGetEndpoint(string url, out BatchEndpointKind kind) => EndpointPaths.TryGetKind(url, out kind);

    private static void InspectBody(ReadOnlySpan<byte> body, string path, long lineNumber, List<BatchInputError> errors, out string? model, out int? maxTokens, out bool deterministic)
    {
        var reader = new Utf8JsonReader(body, JsonLimits.Reader);
        reader.Read();
        InspectBody(ref reader, path, lineNumber, errors, out model, out maxTokens, out deterministic);
    }

    // From the body's first token to past its last. Deterministic: the rule of CanonicalJson.IsDeterministic, read in
    // this pass rather than in one more over the body per use.
    private static void InspectBody(ref Utf8JsonReader reader, string path, long lineNumber, List<BatchInputError> errors, out string? model, out int? maxTokens, out bool deterministic)
    {
        model = null;
        maxTokens = null;
        deterministic = false;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            errors.Add(new BatchInputError(path, lineNumber, "body", $"must be a JSON object (found {Describe(reader.TokenType)})"));
            reader.Skip();
            return;
        }

        var modelSeen = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (JsonText.Is(ref reader, "model"u8))
            {
                modelSeen = true;
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0)
                {
                    if (JsonText.TryGetString(ref reader, out var name))
                    {
                        model = name;
                    }
                    else
                    {
                        errors.Add(new BatchInputError(path, lineNumber, "body.model", LoneSurrogate));
                    }
                }
                else
                {
                    errors.Add(new BatchInputError(path, lineNumber, "body.model", "must be a non-empty string"));
                    reader.Skip();
                }
            }
            else if (MaxTokensField(ref reader) is { } field)
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) && n is >= 0 and <= BatchOptions.MaxOutputTokensLimit)
                {
                    // max_completion_tokens supersedes max_tokens when both are present.
                    if (maxTokens is null || field == "max_completion_tokens")
                    {
                        maxTokens = n;
                    }
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    errors.Add(new BatchInputError(path, lineNumber, "body." + field, $"must be an integer between 0 and {BatchOptions.MaxOutputTokensLimit:N0}"));
                    reader.Skip();
                }
            }
            else if (JsonText.Is(ref reader, "temperature"u8))
            {
                reader.Read();
                deterministic |= reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var t) && t == 0;
                reader.Skip();
            }
            else if (JsonText.Is(ref reader, "seed"u8))
            {
                reader.Read();
                deterministic |= reader.TokenType != JsonTokenType.Null;
                reader.Skip();
            }
            else if (JsonText.Is(ref reader, "stream"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.True)
                {
                    errors.Add(new BatchInputError(path, lineNumber, "body.stream", "streaming is not supported in a batch; remove \"stream\": true"));
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (!modelSeen)
        {
            errors.Add(new BatchInputError(path, lineNumber, "body.model", "is missing"));
        }
    }

    private static string FieldName(int field) => field switch
    {
        1 => "custom_id",
        2 => "method",
        4 => "url",
        _ => "body",
    };

    private static string? MaxTokensField(ref Utf8JsonReader reader) =>
        JsonText.Is(ref reader, "max_completion_tokens"u8) ? "max_completion_tokens"
        : JsonText.Is(ref reader, "max_tokens"u8) ? "max_tokens"
        : JsonText.Is(ref reader, "max_output_tokens"u8) ? "max_output_tokens"
        : null;

    // Every line names its method and url: the usual values are shared strings, not a fresh copy per line.
    private static string KnownUrlOrString(ref Utf8JsonReader reader) =>
        !reader.ValueIsEscaped && !reader.HasValueSequence && EndpointPaths.KnownLineUrl(reader.ValueSpan) is { } known
            ? known
            : JsonText.GetLenient(ref reader);

    /// <summary>True when a string holds a surrogate without its partner: it has no UTF-8 form, so it cannot be an id.</summary>
    internal static bool HasLoneSurrogate(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasField(List<BatchInputError> errors, int from, string field)
    {
        for (var i = from; i < errors.Count; i++)
        {
            if (errors[i].Field == field)
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.None => "nothing",
        _ => t.ToString(),
    };

    // System.Text.Json messages end with a path/position suffix that means nothing to a user of a JSONL file.
    private static string Trim(string message)
    {
        var i = message.IndexOf(" Path:", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }


}
