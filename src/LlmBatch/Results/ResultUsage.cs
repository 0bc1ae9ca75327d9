namespace LlmBatch.Results;

/// <summary>The token counts a response reported (<c>usage</c>); null where the response did not say.</summary>
internal readonly record struct ResultUsage(long? PromptTokens, long? CompletionTokens, long? TotalTokens);
