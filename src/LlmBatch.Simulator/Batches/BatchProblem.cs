namespace LlmBatch.Simulator;

/// <summary>One entry of a batch's <c>errors.data</c>: why validation refused it.</summary>
internal sealed record BatchProblem(string Code, string Message, string? Param, int? Line);
