using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace LlmBatch.Cli.Output;

/// <summary>One row of the embeddings Parquet file: the item's custom_id and its vector.</summary>
internal sealed class ParquetEmbeddingRow
{
    /// <summary>The custom_id, as in the <c>.ids.txt</c> file beside the <c>.npy</c> matrix.</summary>
    [JsonPropertyName("custom_id")]
    [ParquetRequired]
    public string CustomId { get; set; } = "";

    /// <summary>The vector: a Parquet LIST of non-null FLOAT (pyarrow: <c>list&lt;element: float not null&gt;</c>).</summary>
    [JsonPropertyName("embedding")]
    [ParquetListElementRequired]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819:Properties should not return arrays", Justification = "The serializer maps an array property to a Parquet list column; this type exists only for that.")]
    public float[] Embedding { get; set; } = [];
}
