using System.Text.Json;

namespace LlmBatch;

/// <summary>
/// Turns one output line, ours or the provider's Batch API output, back into a <see cref="BatchResult"/>.
/// Unknown keys are ignored, so files from newer tools or the provider read without trouble.
/// </summary>
internal static class OutputLineParser
{
    /// <summary>Nesting allowed in a line: response bodies (tool schemas, nested content) can be deep.</summary>
    public const int MaxDepth = 512;

    internal static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    /// <summary>Parses a line; returns null and describes the problem when it is not a valid output line.</summary>
    public static BatchResult? Parse(ReadOnlySpan<byte> line, out string field, out string problem)
    {
        field = "";
        problem = "";
        var reader = new Utf8JsonReader(line, ReaderOptions);
        string? id = null;
        string? customId = null;
        var statusCode = 0;
        string? requestId = null;
        ReadOnlyMemory<byte> body = default;
        BatchError? error = null;
        BatchItemStats? stats = null;
        long lineNumber = 0;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                problem = "the line is not a JSON object";
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : SkipValue(ref reader);
                }
                else if (reader.ValueTextEquals("custom_id"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        field = "custom_id";
                        problem = "must be a string";
                        return null;
                    }

                    customId = reader.GetString();
                }
                else if (reader.ValueTextEquals("response"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ReadResponse(ref reader, line, out statusCode, out requestId, out body);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        error = ReadError(ref reader);
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        // A bare string or number as error still marks a failure.
                        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : "";
                        reader.Skip();
                        error = new BatchError("error", text);
                    }
                }
                else if (reader.ValueTextEquals("llmbatch"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        stats = ReadStats(ref reader, out lineNumber);
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

            if (reader.Read())
            {
                problem = "unexpected content after the JSON object";
                return null;
            }
        }
        catch (JsonException ex)
        {
            problem = $"invalid JSON: {FirstSentence(ex.Message)}";
            return null;
        }
        catch (FormatException ex)
        {
            problem = $"invalid value: {FirstSentence(ex.Message)}";
            return null;
        }
        catch (InvalidOperationException ex)
        {
            problem = $"invalid value: {FirstSentence(ex.Message)}";
            return null;
        }

        if (customId is null)
        {
            field = "custom_id";
            problem = "is missing";
            return null;
        }

        return new BatchResult
        {
            CustomId = customId,
            Id = string.IsNullOrEmpty(id) ? CustomIdHash.ToResultId(customId) : id,
            StatusCode = statusCode,
            RequestId = requestId,
            ResponseBody = body,
            Error = error,
            Stats = stats ?? new BatchItemStats(),
            LineNumber = lineNumber,
        };
    }

    internal static string FirstSentence(string message)
    {
        var i = message.IndexOf(". ", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }

    private static string? SkipValue(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }

    private static void ReadResponse(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, out int statusCode, out string? requestId, out ReadOnlyMemory<byte> body)
    {
        statusCode = 0;
        requestId = null;
        body = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("status_code"u8))
            {
                reader.Read();
                statusCode = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("request_id"u8))
            {
                reader.Read();
                requestId = reader.TokenType == JsonTokenType.String ? reader.GetString() : SkipValue(ref reader);
            }
            else if (reader.ValueTextEquals("body"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    // Non-JSON bodies (an HTML error page) were stored as a string: give back the original text.
                    body = System.Text.Encoding.UTF8.GetBytes(reader.GetString() ?? "");
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    body = line[start..(int)reader.BytesConsumed].ToArray();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static BatchError ReadError(ref Utf8JsonReader reader)
    {
        var code = "";
        var message = "";
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                code = reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : SkipValue(ref reader) ?? "";
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                message = reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : SkipValue(ref reader) ?? "";
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new BatchError(code, message);
    }

    private static BatchItemStats ReadStats(ref Utf8JsonReader reader, out long lineNumber)
    {
        lineNumber = 0;
        var attempts = 0;
        List<int>? statuses = null;
        DateTimeOffset started = default;
        DateTimeOffset finished = default;
        double latency = 0;
        double limiterWait = 0;
        var promptTokens = 0;
        var completionTokens = 0;
        var usageReported = false;
        var model = "";
        var cached = false;
        var cachedPrompt = 0;
        string? sharedWith = null;
        var packSize = 0;
        var packIndex = 0;
        string? batchId = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("attempts"u8))
            {
                reader.Read();
                attempts = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("statuses"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    statuses = [];
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        statuses.Add(reader.GetInt32());
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("started_at"u8))
            {
                reader.Read();
                started = reader.TokenType == JsonTokenType.Null ? default : reader.GetDateTimeOffset();
            }
            else if (reader.ValueTextEquals("finished_at"u8))
            {
                reader.Read();
                finished = reader.TokenType == JsonTokenType.Null ? default : reader.GetDateTimeOffset();
            }
            else if (reader.ValueTextEquals("latency_ms"u8))
            {
                reader.Read();
                latency = reader.GetDouble();
            }
            else if (reader.ValueTextEquals("limiter_wait_ms"u8))
            {
                reader.Read();
                limiterWait = reader.GetDouble();
            }
            else if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                reader.Read();
                promptTokens = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                reader.Read();
                completionTokens = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("usage_reported"u8))
            {
                reader.Read();
                usageReported = reader.GetBoolean();
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                model = reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : SkipValue(ref reader) ?? "";
            }
            else if (reader.ValueTextEquals("line"u8))
            {
                reader.Read();
                lineNumber = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("cached_prompt_tokens"u8))
            {
                reader.Read();
                cachedPrompt = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("cached"u8))
            {
                reader.Read();
                cached = reader.TokenType == JsonTokenType.True;
            }
            else if (reader.ValueTextEquals("shared_with"u8))
            {
                reader.Read();
                sharedWith = reader.TokenType == JsonTokenType.String ? reader.GetString() : SkipValue(ref reader);
            }
            else if (reader.ValueTextEquals("packed"u8))
            {
                reader.Read();
                ReadPack(ref reader, out packSize, out packIndex);
            }
            else if (reader.ValueTextEquals("batch_id"u8))
            {
                reader.Read();
                batchId = reader.TokenType == JsonTokenType.String ? reader.GetString() : SkipValue(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new BatchItemStats
        {
            Attempts = attempts,
            Statuses = statuses is null ? [] : statuses,
            StartedAt = started,
            FinishedAt = finished,
            LatencyMs = latency,
            LimiterWaitMs = limiterWait,
            PromptTokens = promptTokens,
            CompletionTokens = completionTokens,
            UsageReported = usageReported,
            Model = model,
            Cached = cached,
            CachedPromptTokens = cachedPrompt,
            SharedWith = sharedWith,
            PackSize = packSize,
            PackIndex = packIndex,
            BatchId = batchId,
        };
    }

    /// <summary>Reads <c>"packed":{"size":N,"index":i}</c>; anything else leaves both 0.</summary>
    private static void ReadPack(ref Utf8JsonReader reader, out int size, out int index)
    {
        size = 0;
        index = 0;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isSize = reader.ValueTextEquals("size"u8);
            var isIndex = reader.ValueTextEquals("index"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) && n >= 0)
            {
                if (isSize)
                {
                    size = n;
                }
                else if (isIndex)
                {
                    index = n;
                }
            }
            else
            {
                reader.Skip();
            }
        }
    }
}
