using LlmBatch.Input;

namespace LlmBatch.Simulator;

/// <summary>One validated line of a batch input file; its body stays in the file's bytes until it is answered.</summary>
internal readonly record struct BatchLine(string CustomId, BatchEndpointKind Kind, string Url, int BodyOffset, int BodyLength);
