namespace LlmBatch.Input;

/// <summary>
/// Every OpenAI endpoint path the tool, the library and the simulator speak, in one place: a path spelt twice is a
/// path that can drift (a simulator route that no longer matches what the client sends, a validator that accepts
/// what the engine cannot route).
/// </summary>
internal static class EndpointPaths
{
    /// <summary>The prefix every path below shares; a Batch API <c>url</c> may leave it out.</summary>
    public const string Prefix = "/v1";

    /// <summary>Chat completions.</summary>
    public const string ChatCompletions = "/v1/chat/completions";

    /// <summary>Legacy text completions.</summary>
    public const string Completions = "/v1/completions";

    /// <summary>Embeddings.</summary>
    public const string Embeddings = "/v1/embeddings";

    /// <summary>The Responses API.</summary>
    public const string Responses = "/v1/responses";

    /// <summary>File upload and listing (Batch API).</summary>
    public const string Files = "/v1/files";

    /// <summary>Batch jobs (Batch API).</summary>
    public const string Batches = "/v1/batches";

    /// <summary>The model list.</summary>
    public const string Models = "/v1/models";

    /// <summary>The canonical path of an endpoint.</summary>
    public static string For(BatchEndpointKind kind) => kind switch
    {
        BatchEndpointKind.ChatCompletions => ChatCompletions,
        BatchEndpointKind.Completions => Completions,
        BatchEndpointKind.Embeddings => Embeddings,
        BatchEndpointKind.Responses => Responses,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
