namespace LlmBatch.Simulator;

/// <summary>What a <c>POST /v1/batches</c> asked for, and by whom.</summary>
internal sealed record BatchRequestInfo(string InputFileId, string Endpoint, string CompletionWindow, IReadOnlyDictionary<string, string> Metadata, string KeyName);
