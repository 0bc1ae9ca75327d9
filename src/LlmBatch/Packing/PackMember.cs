using LlmBatch.Input;

namespace LlmBatch.Packing;

/// <summary>One request inside a pack: the request, its input as raw JSON, and its prompt tokens counted locally.</summary>
internal readonly record struct PackMember(BatchRequest Request, ReadOnlyMemory<byte> Input, int Tokens);
