using System.Text.Json;

namespace LlmBatch.Json;

/// <summary>
/// The nesting limits every reader of untrusted JSON uses, so that what one layer accepts the next never rejects
/// (an input line the reader took must not fail the body check; an answer stored in the output must read back).
/// </summary>
internal static class JsonLimits
{
    /// <summary>
    /// Nesting allowed in an input line, in a request body and in a response body (default readers stop at 64,
    /// which deep tool schemas pass). A body is always shallower than the line that carries it.
    /// </summary>
    public const int MaxDepth = 256;

    /// <summary>
    /// Nesting allowed in an output line: a response body sits two levels down (line, <c>response</c>, <c>body</c>),
    /// so every body the writer stores as JSON (at most <see cref="MaxDepth"/>) reads back, with room to spare.
    /// </summary>
    public const int MaxOutputLineDepth = 512;

    /// <summary>Reader options for input lines, request bodies and response bodies.</summary>
    public static JsonReaderOptions Reader { get; } = new() { MaxDepth = MaxDepth };

    /// <summary>Document options for request and response bodies.</summary>
    public static JsonDocumentOptions Document { get; } = new() { MaxDepth = MaxDepth };
}
