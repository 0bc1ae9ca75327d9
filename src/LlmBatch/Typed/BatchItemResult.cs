using System.Diagnostics.CodeAnalysis;
using LlmBatch.Output;

namespace LlmBatch.Typed;

/// <summary>
/// The final outcome of one typed item: its value (a <c>ChatResponse</c> or an <c>Embedding&lt;float&gt;</c>) or,
/// when it failed, why. A failed item is a result like any other, never an exception that ends the stream.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
public sealed class BatchItemResult<T>
    where T : class
{
    /// <summary>The item's id (its <c>custom_id</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The value, when the item succeeded.</summary>
    public T? Value { get; init; }

    /// <summary>
    /// Why the item failed, or null when it succeeded. Codes are those of the output file (<c>http_400</c>,
    /// <c>timeout</c>, <c>max_attempts_exceeded</c> …) plus three of the typed layer, for items that never reach the
    /// output file: <c>invalid_request</c> (the item cannot be expressed as an OpenAI request; nothing was sent),
    /// <c>duplicate_id</c> (an earlier item of the same run has this id; nothing was sent) and <c>invalid_response</c>
    /// (the provider's 2xx body could not be read as the expected type; its line is in the output file).
    /// </summary>
    public BatchError? Error { get; init; }

    /// <summary>
    /// The byte-level result as the engine produced it and the output file holds it (status, request id, raw body,
    /// attempts, latency, tokens), or null when the item was never sent.
    /// </summary>
    public BatchResult? Result { get; init; }

    /// <summary>True when <see cref="Value"/> holds the answer.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null && Value is not null;
}
