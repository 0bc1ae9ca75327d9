namespace LlmBatch.Simulator;

/// <summary>
/// Counts prompt tokens with the client's own tokenizer (<see cref="TokenCounter"/>), so usage and rate-limit
/// charges agree with what LlmBatch estimated before sending.
/// </summary>
internal static class PromptTokenCounter
{
    /// <summary>Counts the prompt of a validated body; throws <see cref="BatchInputException"/> for bodies the client could not have sent.</summary>
    public static int Count(string path, byte[] body) =>
        TokenCounter.Shared.CountPromptTokens(BatchRequest.Create("simulator", path, body));
}
