using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using LlmBatch.Input;

namespace LlmBatch.Simulator;

/// <summary>
/// Validation and the deterministic answer body of a model request, shared by the online endpoints and the Batch API
/// processor, so that a body gets the same answer (same content, same usage, same error) whichever way it came in.
/// Only <c>created</c> (the current time) differs between two answers to the same body.
/// </summary>
internal sealed class ModelAnswer(SimulatorOptions options, ContentGenerator content, TimeProvider time)
{
    /// <summary>The online path of each endpoint kind the simulator serves, or null when it serves none.</summary>
    public static string? PathOf(BatchEndpointKind kind) => kind switch
    {
        BatchEndpointKind.ChatCompletions or BatchEndpointKind.Completions or BatchEndpointKind.Embeddings => EndpointPaths.For(kind),
        _ => null,
    };

    /// <summary>Validates a body and counts its prompt; returns the 400's problem, or null with the parsed request.</summary>
    public RequestError? Parse(BatchEndpointKind kind, string path, byte[] body, out ParsedRequest request, out int promptTokens)
    {
        request = new ParsedRequest { Endpoint = kind };
        promptTokens = 0;
        var invalid = RequestParser.Parse(body, options.Seed, request);
        if (invalid is not null)
        {
            return invalid;
        }

        try
        {
            promptTokens = PromptTokenCounter.Count(path, body, request);
            return null;
        }
        catch (BatchInputException ex)
        {
            return new RequestError(ex.Message, null, null);
        }
    }

    /// <summary>The completion tokens charged and the length cap: the body's <c>max_tokens</c>, else the default.</summary>
    public int MaxTokens(ParsedRequest request) => request.MaxTokens ?? options.DefaultMaxTokens;

    /// <summary>The hash every decision about a body derives from (content, lengths, embeddings).</summary>
    public ulong RequestHash(ReadOnlySpan<byte> body) => XxHash3.HashToUInt64(body, options.Seed);

    /// <summary>The hash of a (key, body) pair: what fault draws and duplicate counting are keyed by.</summary>
    public static ulong KeyHash(ulong requestHash, string keyName) =>
        SplitMix.Mix(requestHash, XxHash3.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(keyName)));

    /// <summary>The lengths of each choice of a completion.</summary>
    public CompletionPlan Plan(ParsedRequest request, ulong requestHash) =>
        CompletionPlan.Create(content, requestHash, request.Choices, MaxTokens(request));

    /// <summary>The <c>id</c> of a completion body: stable for a given body.</summary>
    public static string ResponseId(BatchEndpointKind kind, ulong requestHash) =>
        (kind == BatchEndpointKind.ChatCompletions ? "chatcmpl-sim" : "cmpl-sim") + requestHash.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>The <c>created</c> field: now, in Unix seconds.</summary>
    public long Created() => time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>The embeddings body of a validated request.</summary>
    public ArrayBufferWriter<byte> Embedding(ParsedRequest request, int promptTokens)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        EmbeddingWriter.Write(buffer, request, request.Dimensions ?? options.EmbeddingDimensions, content, promptTokens);
        return buffer;
    }

    /// <summary>The whole (non-streamed) completion body of a validated request.</summary>
    public ArrayBufferWriter<byte> Completion(ParsedRequest request, CompletionPlan plan, ulong requestHash, int promptTokens)
    {
        var buffer = new ArrayBufferWriter<byte>(512 + (plan.Total * 8));
        CompletionWriter.Write(buffer, request, ResponseId(request.Endpoint, requestHash), Created(), plan, content, requestHash, promptTokens);
        return buffer;
    }

    /// <summary>
    /// The answer the online endpoint gives to <paramref name="body"/> on a quiet server (no limit, no fault): the
    /// status, the body, and the usage it reports. A Batch API line is answered with exactly this.
    /// </summary>
    public (int Status, ArrayBufferWriter<byte> Body, int PromptTokens, int CompletionTokens) Answer(BatchEndpointKind kind, string url, byte[] body)
    {
        var path = PathOf(kind);
        if (path is null)
        {
            return (404, Error($"Invalid URL (POST {url})", "invalid_request_error", null, null), 0, 0);
        }

        var invalid = Parse(kind, path, body, out var request, out var promptTokens);
        if (invalid is not null)
        {
            return (400, Error(invalid.Message, "invalid_request_error", invalid.Param, invalid.Code), 0, 0);
        }

        if (request.Stream)
        {
            // The online endpoint would stream; a batch line cannot, and OpenAI refuses it the same way.
            return (400, Error("Streaming is not supported in the Batch API.", "invalid_request_error", "stream", null), 0, 0);
        }

        if (kind == BatchEndpointKind.Embeddings)
        {
            return (200, Embedding(request, promptTokens), promptTokens, 0);
        }

        var requestHash = RequestHash(body);
        var plan = Plan(request, requestHash);
        return (200, Completion(request, plan, requestHash, promptTokens), promptTokens, plan.Total);
    }

    /// <summary>An OpenAI error body.</summary>
    public static ArrayBufferWriter<byte> Error(string message, string type, string? param, string? code)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        ErrorBodies.OpenAi(buffer, message, type, param, code);
        return buffer;
    }
}
