using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.Resilience;

/// <summary>
/// Checks that a 2xx body is a complete JSON object carrying the member its endpoint must return, without building a DOM:
/// a truncated or garbled 200 is then retried instead of being recorded as a success. The body must be UTF-8 (JSON's
/// only encoding: anything else would poison the output file and every reader of it), and the member must be an array
/// of objects, as every reader of the result expects (<c>choices</c>; <c>data</c> for embeddings; <c>output</c> for
/// responses).
/// </summary>
/// <remarks>The pipeline reads a response once (<see cref="BatchResponse"/> keeps its <see cref="ResponseFacts"/>); this is for bodies read back from elsewhere.</remarks>
internal static class ResponseShape
{
    public static bool IsValid(ReadOnlySpan<byte> body, BatchEndpointKind endpoint) =>
        ResponseFacts.Read(body).HasShapeOf(endpoint);
}
