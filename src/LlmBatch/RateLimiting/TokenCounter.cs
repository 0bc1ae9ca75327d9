using System.Buffers;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Json;
using Microsoft.ML.Tokenizers;

namespace LlmBatch.RateLimiting;

/// <summary>
/// Counts tokens the way OpenAI models do, to estimate what a request will cost against a tokens-per-minute budget.
/// Uses the tiktoken encodings <c>o200k_base</c> (gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o-series, chatgpt, and any
/// model it does not recognise) and <c>cl100k_base</c> (gpt-4, gpt-3.5, text-embedding-*).
/// Deterministic and thread-safe; each encoding is loaded once, on first use.
/// Over 400 lines because it does one job: the prompt tokens of a request body, for the four shapes a body takes
/// (chat messages with their content parts, Responses <c>input</c>, completions <c>prompt</c>, embeddings
/// <c>input</c>), each walked by one <see cref="Utf8JsonReader"/> pass with the same bounded string counter and
/// message framing; split per shape, the pieces would share the tokenizer choice and that counter across files.
/// </summary>
internal sealed class TokenCounter
{
    // OpenAI's published chat formula (openai-cookbook, "How to count tokens with tiktoken"):
    // every message costs 3 tokens of framing, a name 1 more, and every reply is primed with 3.
    private const int TokensPerMessage = 3;
    private const int TokensPerName = 1;
    private const int ReplyPriming = 3;

    // Each encoding takes about a quarter of a second and tens of MB to load: once, on first use, by one thread.
    private readonly Lazy<Tokenizer> _o200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly Lazy<Tokenizer> _cl100k = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"), LazyThreadSafetyMode.ExecutionAndPublication);

    private TokenCounter()
    {
    }

    /// <summary>The counter; encodings are shared process-wide, so one instance is all that is needed.</summary>
    public static TokenCounter Shared { get; } = new();

    /// <summary>Counts the tokens of a piece of text with the encoding of <paramref name="model"/>.</summary>
    /// <param name="model">The model name, for example <c>gpt-4o-mini</c>; unknown names use <c>o200k_base</c>.</param>
    /// <param name="text">The text.</param>
    /// <returns>The number of tokens.</returns>
    public int CountText(string model, ReadOnlySpan<char> text)
    {
        ArgumentNullException.ThrowIfNull(model);
        return text.IsEmpty ? 0 : CountBounded(TokenizerFor(model), text);
    }

    /// <summary>
    /// Estimates the prompt tokens of a request from its body: chat <c>messages</c> (OpenAI's per-message formula),
    /// completions <c>prompt</c>, embeddings <c>input</c>, responses <c>input</c> and <c>instructions</c>.
    /// Parts that are not text (images, audio, tool definitions) are not counted.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <returns>The estimated number of prompt tokens.</returns>
    public int CountPromptTokens(BatchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tokenizer = TokenizerFor(request.Model);
        try
        {
            return request.Endpoint switch
            {
                BatchEndpointKind.ChatCompletions => CountChat(tokenizer, request.Body.Span),
                BatchEndpointKind.Completions => CountTopLevelInput(tokenizer, request.Body.Span, "prompt"u8),
                BatchEndpointKind.Embeddings => CountTopLevelInput(tokenizer, request.Body.Span, "input"u8),
                BatchEndpointKind.Responses => CountResponses(tokenizer, request.Body.Span),
                _ => 0,
            };
        }
        catch (JsonException)
        {
            // Bodies are validated on input; a body built in code that is cut short still gets a count, not a crash.
            return 0;
        }
        catch (InvalidOperationException)
        {
            // Not expected (strings and names are read leniently), but a count must never stop a run.
            return 0;
        }
    }

    /// <summary>
    /// The tokens a request is expected to consume: its prompt tokens plus, for endpoints that generate text,
    /// the completion tokens it may produce (its <see cref="BatchRequest.MaxOutputTokens"/>, else <paramref name="defaultMaxOutputTokens"/>).
    /// Embeddings cost their prompt tokens only.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="defaultMaxOutputTokens">The completion tokens to reserve when the body sets no limit.</param>
    /// <returns>The estimated total tokens.</returns>
    public long EstimateCost(BatchRequest request, int defaultMaxOutputTokens)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegative(defaultMaxOutputTokens);
        long prompt = CountPromptTokens(request);
        return request.Endpoint == BatchEndpointKind.Embeddings
            ? prompt
            : prompt + (request.MaxOutputTokens ?? defaultMaxOutputTokens);
    }

    /// <summary>The encoding name used for a model: <c>o200k_base</c> or <c>cl100k_base</c>.</summary>
    internal static string EncodingFor(string model) => UsesCl100k(model) ? "cl100k_base" : "o200k_base";

    private Tokenizer TokenizerFor(string model) => UsesCl100k(model) ? _cl100k.Value : _o200k.Value;

    private static bool UsesCl100k(string model)
    {
        var m = model.AsSpan();

        // Fine-tuned models are named "ft:<base>:<org>::<id>" and share their base model's encoding.
        if (m.StartsWith("ft:", StringComparison.OrdinalIgnoreCase))
        {
            m = m[3..];
        }

        if (m.StartsWith("gpt-4", StringComparison.OrdinalIgnoreCase))
        {
            var rest = m[5..];
            return !(rest.StartsWith("o", StringComparison.OrdinalIgnoreCase)
                || rest.StartsWith(".1", StringComparison.Ordinal)
                || rest.StartsWith(".5", StringComparison.Ordinal));
        }

        return m.StartsWith("gpt-3.5", StringComparison.OrdinalIgnoreCase)
            || m.StartsWith("text-embedding-", StringComparison.OrdinalIgnoreCase);
    }

    private static int CountChat(Tokenizer tokenizer, ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, JsonLimits.Reader);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return 0;
        }

        var total = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMessages = JsonText.Is(ref reader, "messages"u8);
            reader.Read();
            if (isMessages && reader.TokenType == JsonTokenType.StartArray)
            {
                total += CountMessages(tokenizer, ref reader) + ReplyPriming;
            }
            else
            {
                reader.Skip();
            }
        }

        return total;
    }

    private static int CountResponses(Tokenizer tokenizer, ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, JsonLimits.Reader);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return 0;
        }

        var total = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isInput = JsonText.Is(ref reader, "input"u8);
            var isInstructions = !isInput && JsonText.Is(ref reader, "instructions"u8);
            reader.Read();
            if (isInput && reader.TokenType == JsonTokenType.String)
            {
                total += CountString(tokenizer, ref reader) + ReplyPriming;
            }
            else if (isInput && reader.TokenType == JsonTokenType.StartArray)
            {
                total += CountMessages(tokenizer, ref reader) + ReplyPriming;
            }
            else if (isInstructions && reader.TokenType == JsonTokenType.String)
            {
                total += CountString(tokenizer, ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return total;
    }

    // Completions "prompt" and embeddings "input": a string, an array of strings, an array of token ids,
    // or an array of arrays of token ids (token ids count one each).
    private static int CountTopLevelInput(Tokenizer tokenizer, ReadOnlySpan<byte> body, ReadOnlySpan<byte> field)
    {
        var reader = new Utf8JsonReader(body, JsonLimits.Reader);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return 0;
        }

        var total = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isField = JsonText.Is(ref reader, field);
            reader.Read();
            if (!isField)
            {
                reader.Skip();
            }
            else if (reader.TokenType == JsonTokenType.String)
            {
                total += CountString(tokenizer, ref reader);
            }
            else if (reader.TokenType == JsonTokenType.StartArray)
            {
                total += CountInputArray(tokenizer, ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return total;
    }

    private static int CountInputArray(Tokenizer tokenizer, ref Utf8JsonReader reader)
    {
        var total = 0;
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == depth))
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    total += CountString(tokenizer, ref reader);
                    break;
                case JsonTokenType.Number:
                    total++;
                    break;
                case JsonTokenType.StartObject:
                    reader.Skip();
                    break;
                default:
                    // Nested arrays of token ids are walked by this loop; their numbers count one each.
                    break;
            }
        }

        return total;
    }

    // Reader is on StartArray of chat messages (or responses input items); returns at its EndArray.
    private static int CountMessages(Tokenizer tokenizer, ref Utf8JsonReader reader)
    {
        var total = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                total += TokensPerMessage + CountMessage(tokenizer, ref reader);
            }
            else if (reader.TokenType == JsonTokenType.String)
            {
                // Not a message shape OpenAI documents, but a bare string is plainly text to be read.
                total += TokensPerMessage + CountString(tokenizer, ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return total;
    }

    // Reader is on the message's StartObject; returns at its EndObject.
    private static int CountMessage(Tokenizer tokenizer, ref Utf8JsonReader reader)
    {
        var total = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var kind = JsonText.Is(ref reader, "content"u8) ? 1
                : JsonText.Is(ref reader, "role"u8) ? 2
                : JsonText.Is(ref reader, "name"u8) ? 3
                : 0;
            reader.Read();
            if (kind == 0)
            {
                reader.Skip();
            }
            else if (reader.TokenType == JsonTokenType.String)
            {
                total += CountString(tokenizer, ref reader) + (kind == 3 ? TokensPerName : 0);
            }
            else if (kind == 1 && reader.TokenType == JsonTokenType.StartArray)
            {
                total += CountContentParts(tokenizer, ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return total;
    }

    // Content parts: only text parts count ("text", or the responses API's "input_text"/"output_text");
    // the type may come after the text, so a part's text is counted first and kept only if the type allows.
    private static int CountContentParts(Tokenizer tokenizer, ref Utf8JsonReader reader)
    {
        var total = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                total += CountString(tokenizer, ref reader);
                continue;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            var textTokens = 0;
            var isText = true;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isTextField = JsonText.Is(ref reader, "text"u8);
                var isTypeField = !isTextField && JsonText.Is(ref reader, "type"u8);
                reader.Read();
                if (isTextField && reader.TokenType == JsonTokenType.String)
                {
                    textTokens += CountString(tokenizer, ref reader);
                }
                else if (isTypeField && reader.TokenType == JsonTokenType.String)
                {
                    isText = JsonText.Is(ref reader, "text"u8) || JsonText.Is(ref reader, "input_text"u8) || JsonText.Is(ref reader, "output_text"u8);
                }
                else
                {
                    reader.Skip();
                }
            }

            if (isText)
            {
                total += textTokens;
            }
        }

        return total;
    }

    // BPE merging is quadratic in the length of one pre-token, so a long run without whitespace (a pasted blob, a
    // base64 string) would stall the count for minutes. Long texts are counted in slices cut just before whitespace,
    // which leaves ordinary text's pre-tokens whole (the count is exact); only a run of more than SliceChars
    // characters without whitespace is cut mid-run, off by about a token per cut. The simulator counts the same way.
    private const int SliceChars = 16 * 1024;

    private static int CountBounded(Tokenizer tokenizer, ReadOnlySpan<char> text)
    {
        var total = 0;
        while (text.Length > SliceChars)
        {
            var cut = text[..SliceChars].LastIndexOfAny(s_whitespace);
            if (cut <= SliceChars / 2)
            {
                cut = SliceChars;
            }

            total += tokenizer.CountTokens(text[..cut]);
            text = text[cut..];
        }

        return total + tokenizer.CountTokens(text);
    }

    private static readonly System.Buffers.SearchValues<char> s_whitespace = System.Buffers.SearchValues.Create(" \t\r\n");

    // Unescapes the current string token into a pooled buffer: no string is allocated per value.
    private static int CountString(Tokenizer tokenizer, ref Utf8JsonReader reader)
    {
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (length == 0)
        {
            return 0;
        }

        try
        {
            // An escaped or UTF-8 value never decodes to more UTF-16 chars than it has bytes.
            if (length <= 256)
            {
                Span<char> small = stackalloc char[256];
                var written = reader.CopyString(small);
                return CountBounded(tokenizer, small[..written]);
            }

            var rented = ArrayPool<char>.Shared.Rent(length);
            try
            {
                var written = reader.CopyString(rented);
                return CountBounded(tokenizer, rented.AsSpan(0, written));
            }
            finally
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
        catch (InvalidOperationException)
        {
            // A lone surrogate escape (truncated real data) is sent as it is: count the text with U+FFFD in its place.
            return CountBounded(tokenizer, JsonText.GetLenient(ref reader));
        }
    }
}
