namespace LlmBatch.Results;

/// <summary>What a results file holds, and so what merging it produces.</summary>
public enum BatchMergeKind
{
    /// <summary>Detected from the first successful response: embeddings when it holds vectors, text otherwise.</summary>
    Auto,

    /// <summary>Chat, completion or responses output: a table of extracted content in input order.</summary>
    Text,

    /// <summary>Embeddings output: a float32 <c>.npy</c> matrix and the ids of its rows.</summary>
    Embeddings,

    /// <summary>
    /// Classification: from embeddings (each item's nearest label, the labels' own vectors being the lines whose
    /// custom_id starts with <see cref="BatchResultsMerger.LabelIdPrefix"/>) or from chat answers (validated against the labels).
    /// </summary>
    Classification,
}
