namespace LlmBatch.Output;

/// <summary>Why an item failed permanently: written as the <c>error</c> object of its output line.</summary>
/// <param name="Code">A short machine-readable code, for example <c>http_400</c>, <c>timeout</c>, <c>connection_error</c>, <c>max_attempts_exceeded</c>.</param>
/// <param name="Message">A human-readable explanation, taken from the provider's error body where there was one.</param>
public sealed record BatchError(string Code, string Message);
