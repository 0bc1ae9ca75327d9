namespace LlmBatch.BatchApi;

/// <summary>One entry of a batch's <c>errors</c>: why the provider refused it.</summary>
/// <param name="Code">For example <c>token_limit_exceeded</c>, <c>invalid_json_line</c>.</param>
/// <param name="Message">The provider's explanation.</param>
/// <param name="Line">The 1-based line of the input file it concerns, when it names one.</param>
public sealed record BatchApiError(string Code, string Message, int? Line);
