using System.Text.Json;
using LlmBatch.Json;
using LlmBatch.Providers;

namespace LlmBatch.RateLimiting;

/// <summary>
/// Tells rate limits from overload from ordinary failures. Both kinds of throttle answer are not the item's fault:
/// the retry layer sends such an item again without counting the attempt, and the resource controller slows the run.
/// </summary>
internal static class ThrottleClassifier
{
    /// <summary>Classifies an answer.</summary>
    /// <param name="response">The answer.</param>
    /// <param name="scope">For a <see cref="ThrottleKind.RateLimited"/> answer, the budget its body names.</param>
    public static ThrottleKind Classify(BatchResponse response, out RateLimitScope scope) => Classify(response, out scope, out _);

    /// <summary>Classifies an answer and reads the wait its message suggests.</summary>
    /// <param name="response">The answer.</param>
    /// <param name="scope">For a <see cref="ThrottleKind.RateLimited"/> answer, the budget its body names.</param>
    /// <param name="suggestedWait">
    /// For a 429, the wait in OpenAI's message ("Please try again in 20ms."), which it sends when no
    /// <c>retry-after</c> header says so; null when there is none.
    /// </param>
    public static ThrottleKind Classify(BatchResponse response, out RateLimitScope scope, out TimeSpan? suggestedWait)
    {
        scope = RateLimitScope.Unknown;
        suggestedWait = null;
        switch (response.StatusCode)
        {
            case 429:
                ReadError(response.Body.Span, out var type, out var code, out suggestedWait);
                if (code == ErrorCode.InsufficientQuota)
                {
                    return ThrottleKind.QuotaExhausted;
                }

                if (code == ErrorCode.RequestTooLarge)
                {
                    return ThrottleKind.RequestTooLarge;
                }

                scope = type;
                return response.Headers.HasLimits ? ThrottleKind.RateLimited : ThrottleKind.Overloaded;
            case 503 or 529:
                return ThrottleKind.Overloaded;
            default:
                return ThrottleKind.None;
        }
    }

    /// <summary>True when the answer is a throttle of either kind (not counted against an item's attempts).</summary>
    public static bool IsThrottle(BatchResponse response) =>
        Classify(response, out _) is ThrottleKind.RateLimited or ThrottleKind.Overloaded;

    /// <summary>Reads <c>error.type</c>, <c>error.code</c> and the wait in <c>error.message</c> of an OpenAI error body (429 bodies are a few hundred bytes).</summary>
    private static void ReadError(ReadOnlySpan<byte> body, out RateLimitScope type, out ErrorCode code, out TimeSpan? wait)
    {
        type = RateLimitScope.Unknown;
        code = ErrorCode.Other;
        wait = null;
        if (body.IsEmpty)
        {
            return;
        }

        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isError = JsonText.Is(ref reader, "error"u8);
                reader.Read();
                if (!isError || reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isType = JsonText.Is(ref reader, "type"u8);
                    var isCode = JsonText.Is(ref reader, "code"u8);
                    var isMessage = JsonText.Is(ref reader, "message"u8);
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        if (isType)
                        {
                            type = JsonText.Is(ref reader, "requests"u8) ? RateLimitScope.Requests
                                : JsonText.Is(ref reader, "tokens"u8) ? RateLimitScope.Tokens
                                : type;
                        }
                        else if (isCode && JsonText.Is(ref reader, "insufficient_quota"u8))
                        {
                            code = ErrorCode.InsufficientQuota;
                        }
                        else if (isMessage)
                        {
                            var message = reader.GetString();
                            wait = WaitInMessage(message);
                            if (message is not null && message.StartsWith("Request too large", StringComparison.OrdinalIgnoreCase))
                            {
                                code = ErrorCode.RequestTooLarge;
                            }
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }

                return;
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's page): nothing more to learn from the body.
        }
    }

    /// <summary>The duration after "try again in " in a message, in Go's form (<c>20ms</c>, <c>1.5s</c>, <c>6m0s</c>).</summary>
    internal static TimeSpan? WaitInMessage(string? message)
    {
        const string Marker = "try again in ";
        var at = message?.IndexOf(Marker, StringComparison.OrdinalIgnoreCase) ?? -1;
        if (at < 0)
        {
            return null;
        }

        var rest = message.AsSpan(at + Marker.Length);
        var end = 0;
        while (end < rest.Length && (char.IsAsciiLetterOrDigit(rest[end]) || rest[end] == '.'))
        {
            end++;
        }

        // A sentence's full stop is not part of the duration.
        var token = rest[..end].TrimEnd('.');
        return RateLimitHeaderParser.ParseDuration(token.ToString());
    }

    private enum ErrorCode
    {
        Other,
        InsufficientQuota,
        RequestTooLarge,
    }
}
