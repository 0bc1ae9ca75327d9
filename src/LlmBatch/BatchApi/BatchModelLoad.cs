namespace LlmBatch.BatchApi;

/// <summary>The work a job has left for one model.</summary>
/// <param name="Model">The model.</param>
/// <param name="Requests">Requests not yet answered.</param>
/// <param name="PromptTokens">Their prompt tokens, counted with the tokenizer.</param>
/// <param name="CompletionTokens">The completion tokens they may use: each <c>max_tokens</c>, or the default (an upper bound).</param>
internal sealed record BatchModelLoad(string Model, long Requests, long PromptTokens, long CompletionTokens);
