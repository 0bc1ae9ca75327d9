using LlmBatch.Input;

namespace LlmBatch.Simulator;

/// <summary>What the simulator needs from a validated request body.</summary>
internal sealed class ParsedRequest
{
    public BatchEndpointKind Endpoint { get; init; }

    public string Model { get; set; } = "";

    public bool Stream { get; set; }

    public bool IncludeUsage { get; set; }

    /// <summary>Where the <c>true</c> of <c>"stream": true</c> starts in the body, or -1.</summary>
    public int StreamValueOffset { get; set; } = -1;

    /// <summary><c>max_completion_tokens</c> or <c>max_tokens</c>, when given.</summary>
    public int? MaxTokens { get; set; }

    /// <summary>Choices per prompt (<c>n</c>).</summary>
    public int N { get; set; } = 1;

    /// <summary>Prompts of a text completion (an array prompt gets one set of choices per element).</summary>
    public int Prompts { get; set; } = 1;

    /// <summary>One hash per embedding input, in order.</summary>
    public List<ulong> InputHashes { get; } = [];

    public int? Dimensions { get; set; }

    public bool Base64 { get; set; }

    public int Choices => N * Prompts;
}
