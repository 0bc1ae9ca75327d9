namespace LlmBatch.Input;

/// <summary>The OpenAI endpoints a batch line may target.</summary>
public enum BatchEndpointKind
{
    /// <summary><c>/v1/chat/completions</c>.</summary>
    ChatCompletions,

    /// <summary><c>/v1/completions</c> (legacy text completions).</summary>
    Completions,

    /// <summary><c>/v1/embeddings</c>.</summary>
    Embeddings,

    /// <summary><c>/v1/responses</c>.</summary>
    Responses,
}
