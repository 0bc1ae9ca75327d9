using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace LlmBatch.Cli.Output;

/// <summary>One row of the documents Parquet file: a document and the mean of its chunks' vectors.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819:Properties should not return arrays", Justification = "The serializer maps an array property to a Parquet list column; this type exists only for that.")]
internal sealed class ParquetDocumentRow
{
    /// <summary>The document's path relative to the input folder.</summary>
    [JsonPropertyName("path")]
    [ParquetRequired]
    public string Path { get; set; } = "";

    /// <summary>Chunks whose vectors went into the mean.</summary>
    [JsonPropertyName("chunks")]
    public int Chunks { get; set; }

    /// <summary>The mean of the chunks' vectors, scaled to unit length.</summary>
    [JsonPropertyName("vector")]
    [ParquetListElementRequired]
    public float[] Vector { get; set; } = [];
}
