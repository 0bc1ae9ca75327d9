using System.Numerics;
using LlmBatch.Input;

namespace LlmBatch.Resilience;

/// <summary>
/// Requests expected to take about as long as each other: same endpoint, same model, output budget within a factor of
/// four. The adaptive timeout learns latency per class so that long generations are not judged by short ones.
/// </summary>
internal readonly record struct LatencyClass(BatchEndpointKind Endpoint, string Model, int OutputBucket)
{
    public static LatencyClass Of(BatchRequest request) =>
        new(request.Endpoint, request.Model, request.MaxOutputTokens is { } max ? BitOperations.Log2((uint)max + 1) / 2 : -1);
}
