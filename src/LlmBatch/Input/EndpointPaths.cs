using System.Text;

namespace LlmBatch.Input;

/// <summary>
/// Every OpenAI endpoint path the tool, the library and the simulator speak, in one place: a path spelt twice is a
/// path that can drift (a simulator route that no longer matches what the client sends, a validator that accepts
/// what the engine cannot route). Paths come in two forms: the full form Batch API lines carry
/// (<c>/v1/chat/completions</c>), and the form relative to a base URL that already ends in <c>/v1</c>
/// (<c>/chat/completions</c>), which is how requests and the Files and Batches APIs are joined to it.
/// </summary>
internal static class EndpointPaths
{
    /// <summary>The version prefix the full forms share; a Batch API <c>url</c> may leave it out.</summary>
    public const string Prefix = "/v1";

    /// <summary>Chat completions, relative to the base URL.</summary>
    public const string ChatCompletionsRelative = "/chat/completions";

    /// <summary>Legacy text completions, relative to the base URL.</summary>
    public const string CompletionsRelative = "/completions";

    /// <summary>Embeddings, relative to the base URL.</summary>
    public const string EmbeddingsRelative = "/embeddings";

    /// <summary>The Responses API, relative to the base URL.</summary>
    public const string ResponsesRelative = "/responses";

    /// <summary>File upload, listing and content (Batch API), relative to the base URL.</summary>
    public const string FilesRelative = "/files";

    /// <summary>Batch jobs (Batch API), relative to the base URL.</summary>
    public const string BatchesRelative = "/batches";

    /// <summary>The model list, relative to the base URL.</summary>
    public const string ModelsRelative = "/models";

    /// <summary>Chat completions.</summary>
    public const string ChatCompletions = Prefix + ChatCompletionsRelative;

    /// <summary>Legacy text completions.</summary>
    public const string Completions = Prefix + CompletionsRelative;

    /// <summary>Embeddings.</summary>
    public const string Embeddings = Prefix + EmbeddingsRelative;

    /// <summary>The Responses API.</summary>
    public const string Responses = Prefix + ResponsesRelative;

    /// <summary>Files (Batch API).</summary>
    public const string Files = Prefix + FilesRelative;

    /// <summary>Batches (Batch API).</summary>
    public const string Batches = Prefix + BatchesRelative;

    /// <summary>The model list.</summary>
    public const string Models = Prefix + ModelsRelative;

    /// <summary>The endpoints a request line may target, in words for messages.</summary>
    public const string Supported = ChatCompletions + ", " + Completions + ", " + Embeddings + " or " + Responses;

    // The full forms as UTF-8, most used first: lines are matched against them without decoding the url.
    private static readonly (byte[] Utf8, string Path)[] KnownLineUrls =
    [
        (Encoding.UTF8.GetBytes(ChatCompletions), ChatCompletions),
        (Encoding.UTF8.GetBytes(Embeddings), Embeddings),
        (Encoding.UTF8.GetBytes(Responses), Responses),
        (Encoding.UTF8.GetBytes(Completions), Completions),
    ];

    /// <summary>The full form of an endpoint, as a Batch API line names it (a constant: validation counts by it per line).</summary>
    public static string For(BatchEndpointKind kind) => kind switch
    {
        BatchEndpointKind.ChatCompletions => ChatCompletions,
        BatchEndpointKind.Completions => Completions,
        BatchEndpointKind.Embeddings => Embeddings,
        BatchEndpointKind.Responses => Responses,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The form of an endpoint relative to a base URL that ends in <c>/v1</c>.</summary>
    public static string Relative(BatchEndpointKind kind) => kind switch
    {
        BatchEndpointKind.ChatCompletions => ChatCompletionsRelative,
        BatchEndpointKind.Completions => CompletionsRelative,
        BatchEndpointKind.Embeddings => EmbeddingsRelative,
        BatchEndpointKind.Responses => ResponsesRelative,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Maps a Batch API url to its endpoint; accepts the path with or without the <c>/v1</c> prefix.</summary>
    public static bool TryGetKind(ReadOnlySpan<char> url, out BatchEndpointKind kind)
    {
        var path = url.StartsWith(Prefix + "/", StringComparison.Ordinal) ? url[Prefix.Length..] : url;
        switch (path)
        {
            case ChatCompletionsRelative:
                kind = BatchEndpointKind.ChatCompletions;
                return true;
            case CompletionsRelative:
                kind = BatchEndpointKind.Completions;
                return true;
            case EmbeddingsRelative:
                kind = BatchEndpointKind.Embeddings;
                return true;
            case ResponsesRelative:
                kind = BatchEndpointKind.Responses;
                return true;
            default:
                kind = default;
                return false;
        }
    }

    /// <summary>The shared string for a full-form url given as UTF-8, or null when it is not one of them.</summary>
    public static string? KnownLineUrl(ReadOnlySpan<byte> utf8)
    {
        foreach (var (bytes, path) in KnownLineUrls)
        {
            if (utf8.SequenceEqual(bytes))
            {
                return path;
            }
        }

        return null;
    }
}
