using System.Globalization;
using System.Text.Json;
using LlmBatch.Json;

namespace LlmBatch.Output;

/// <summary>
/// Turns one output line, ours or the provider's Batch API output, back into a <see cref="BatchResult"/>.
/// Unknown keys are ignored, so files from newer tools or the provider read without trouble.
/// Over 400 lines because it does one job: the rules of an output line, key by key, in one <see cref="Utf8JsonReader"/>
/// pass over a <c>ref struct</c> reader that cannot be stored; our <c>llmbatch</c> block alone has sixteen fields
/// (<see cref="BatchItemStats"/>). Split, each piece would still take the same reader by <c>ref</c> from this one pass.
/// </summary>
internal static class OutputLineParser
{
    /// <summary>Nesting allowed in a line: response bodies (tool schemas, nested content) can be deep.</summary>
    public const int MaxDepth = JsonLimits.MaxOutputLineDepth;

    internal static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    /// <summary>Parses a line; returns null and describes the problem when it is not a valid output line.</summary>
    public static BatchResult? Parse(ReadOnlySpan<byte> line, out string field, out string problem)
    {
        field = "";
        problem = "";
        if (!System.Text.Unicode.Utf8.IsValid(line))
        {
            problem = "the line is not valid UTF-8";
            return null;
        }

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
                if (JsonText.Is(ref reader, "id"u8))
                {
                    reader.Read();
                    id = reader.TokenType == JsonTokenType.String ? JsonText.GetLenient(ref reader) : SkipValue(ref reader);
                }
                else if (JsonText.Is(ref reader, "custom_id"u8))
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
                else if (JsonText.Is(ref reader, "response"u8))
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
                else if (JsonText.Is(ref reader, "error"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        error = ReadError(ref reader);
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        // A bare string or number as error still marks a failure.
                        var text = reader.TokenType == JsonTokenType.String ? JsonText.GetLenient(ref reader) : "";
                        reader.Skip();
                        error = new BatchError("error", text);
                    }
                }
                else if (JsonText.Is(ref reader, "llmbatch"u8))
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

    // The llmbatch facts are for reports: a value of the wrong kind (from another tool, or edited) is left at its
    // default instead of making the result itself unreadable. Objects and arrays are skipped whole.
    private static int Int32Or(ref Utf8JsonReader reader, int fallback)
    {
        var n = Int64Or(ref reader, fallback);
        return n is >= int.MinValue and <= int.MaxValue ? (int)n : fallback;
    }

    private static long Int64Or(ref Utf8JsonReader reader, long fallback)
    {
        if (JsonText.TryGetInteger(ref reader, out var n))
        {
            return n;
        }

        reader.Skip();
        return fallback;
    }

    private static double DoubleOr(ref Utf8JsonReader reader, double fallback)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var d) && double.IsFinite(d))
        {
            return d;
        }

        reader.Skip();
        return fallback;
    }

    private static DateTimeOffset TimeOrDefault(ref Utf8JsonReader reader)
    {
        // Our own lines carry ISO 8601 (yyyy-MM-ddTHH:mm:ss.fffZ), never escaped: the reader parses that from the
        // bytes, with no string and no culture-aware parser (a report reads two per line). Anything else, escapes
        // included (the reader would throw on a lone surrogate), takes the general path.
        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && reader.TryGetDateTimeOffset(out var iso))
        {
            return iso;
        }

        // A string the reader cannot even decode (a lone surrogate escape) is no time either.
        if (reader.TokenType == JsonTokenType.String && JsonText.TryGetString(ref reader, out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t))
        {
            return t;
        }

        reader.Skip();
        return default;
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
            if (JsonText.Is(ref reader, "status_code"u8))
            {
                reader.Read();
                statusCode = OutputLineScanner.ReadStatusCode(ref reader);
            }
            else if (JsonText.Is(ref reader, "request_id"u8))
            {
                reader.Read();
                requestId = reader.TokenType == JsonTokenType.String ? JsonText.GetLenient(ref reader) : SkipValue(ref reader);
            }
            else if (JsonText.Is(ref reader, "body"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    // Non-JSON bodies (an HTML error page) were stored as a string: give back the original text.
                    body = System.Text.Encoding.UTF8.GetBytes(JsonText.GetLenient(ref reader));
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
            if (JsonText.Is(ref reader, "code"u8))
            {
                reader.Read();
                code = reader.TokenType == JsonTokenType.String ? JsonText.GetLenient(ref reader) : SkipValue(ref reader) ?? "";
            }
            else if (JsonText.Is(ref reader, "message"u8))
            {
                reader.Read();
                message = reader.TokenType == JsonTokenType.String ? JsonText.GetLenient(ref reader) : SkipValue(ref reader) ?? "";
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
        string? endpoint = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (JsonText.Is(ref reader, "attempts"u8))
            {
                reader.Read();
                attempts = Int32Or(ref reader, 0);
            }
            else if (JsonText.Is(ref reader, "statuses"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    statuses = [];
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        statuses.Add(Int32Or(ref reader, 0));
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (JsonText.Is(ref reader, "started_at"u8))
            {
                reader.Read();
                started = TimeOrDefault(ref reader);
            }
            else if (JsonText.Is(ref reader, "finished_at"u8))
            {
                reader.Read();
                finished = TimeOrDefault(ref reader);
            }
            else if (JsonText.Is(ref reader, "latency_ms"u8))
            {
                reader.Read();
                latency = DoubleOr(ref reader, 0);
            }
            else if (JsonText.Is(ref reader, "limiter_wait_ms"u8))
            {
                reader.Read();
                limiterWait = DoubleOr(ref reader, 0);
            }
            else if (JsonText.Is(ref reader, "prompt_tokens"u8))
            {
                reader.Read();
                promptTokens = Int32Or(ref reader, 0);
            }
            else if (JsonText.Is(ref reader, "completion_tokens"u8))
            {
                reader.Read();
                completionTokens = Int32Or(ref reader, 0);
            }
            else if (JsonText.Is(ref reader, "usage_reported"u8))
            {
                reader.Read();
                usageReported = reader.TokenType == JsonTokenType.True;
                reader.Skip();
            }
            else if (JsonText.Is(ref reader, "model"u8))
            {
                reader.Read();
                model = reader.TokenType == JsonTokenType.String ? JsonText.GetLenient(ref reader) : SkipValue(ref reader) ?? "";
            }
            else if (JsonText.Is(ref reader, "line"u8))
            {
                reader.Read();
                lineNumber = Math.Max(0, Int64Or(ref reader, 0));
            }
            else if (JsonText.Is(ref reader, "cached_prompt_tokens"u8))
            {
                reader.Read();
                cachedPrompt = reader.GetInt32();
            }
            else if (JsonText.Is(ref reader, "cached"u8))
            {
                reader.Read();
                cached = reader.TokenType == JsonTokenType.True;
            }
            else if (JsonText.Is(ref reader, "shared_with"u8))
            {
                reader.Read();
                sharedWith = reader.TokenType == JsonTokenType.String ? reader.GetString() : SkipValue(ref reader);
            }
            else if (JsonText.Is(ref reader, "packed"u8))
            {
                reader.Read();
                ReadPack(ref reader, out packSize, out packIndex);
            }
            else if (JsonText.Is(ref reader, "batch_id"u8))
            {
                reader.Read();
                batchId = reader.TokenType == JsonTokenType.String ? reader.GetString() : SkipValue(ref reader);
            }
            else if (JsonText.Is(ref reader, "endpoint"u8))
            {
                reader.Read();
                endpoint = reader.TokenType == JsonTokenType.String ? reader.GetString() : SkipValue(ref reader);
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
            Endpoint = endpoint,
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
            var isSize = JsonText.Is(ref reader, "size"u8);
            var isIndex = JsonText.Is(ref reader, "index"u8);
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
