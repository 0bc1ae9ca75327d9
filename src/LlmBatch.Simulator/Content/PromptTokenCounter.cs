using LlmBatch.Input;
using LlmBatch.RateLimiting;

namespace LlmBatch.Simulator;

/// <summary>
/// Counts prompt tokens with the client's own tokenizer (<see cref="TokenCounter"/>), so usage and rate-limit
/// charges agree with what LlmBatch estimated before sending.
/// </summary>
internal static class PromptTokenCounter
{
    private static readonly byte[] Null = "null"u8.ToArray();

    /// <summary>Counts the prompt of a validated body; throws <see cref="BatchInputException"/> for bodies the client could not have sent.</summary>
    public static int Count(string path, byte[] body, ParsedRequest request)
    {
        if (request.StreamValueOffset >= 0)
        {
            // A batch line may not stream, so the request type refuses "stream": true. The flag does not change the
            // prompt: count a copy with the same length where `true` reads `null`.
            var copy = (byte[])body.Clone();
            Null.CopyTo(copy.AsSpan(request.StreamValueOffset));
            body = copy;
        }

        return TokenCounter.Shared.CountPromptTokens(BatchRequest.Create("simulator", path, body));
    }
}
