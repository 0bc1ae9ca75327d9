namespace LlmBatch.Simulator;

/// <summary>An OpenAI <c>invalid_request_error</c>: its message, the offending parameter and the error code.</summary>
internal sealed record RequestError(string Message, string? Param, string? Code);
