using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace LlmBatch.Cli.Output;

/// <summary>One row of the chunks Parquet file: a chunk of a document with its vector, ready for a vector store.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819:Properties should not return arrays", Justification = "The serializer maps an array property to a Parquet list column; this type exists only for that.")]
internal sealed class ParquetChunkRow
{
    /// <summary>The document's path relative to the input folder.</summary>
    [JsonPropertyName("path")]
    [ParquetRequired]
    public string Path { get; set; } = "";

    /// <summary>The chunk's 0-based index in its document.</summary>
    [JsonPropertyName("chunk")]
    public int Chunk { get; set; }

    /// <summary>The chunk's custom_id (<c>path#0007</c>).</summary>
    [JsonPropertyName("custom_id")]
    [ParquetRequired]
    public string CustomId { get; set; } = "";

    /// <summary>Offset of the chunk's first character in the document's text.</summary>
    [JsonPropertyName("start")]
    public long Start { get; set; }

    /// <summary>Offset just past the chunk's last character.</summary>
    [JsonPropertyName("end")]
    public long End { get; set; }

    /// <summary>Characters at the start that repeat the previous chunk.</summary>
    [JsonPropertyName("overlap")]
    public int Overlap { get; set; }

    /// <summary>The page where the chunk's own text starts (PDF), else null.</summary>
    [JsonPropertyName("page")]
    public int? Page { get; set; }

    /// <summary>The page where the chunk ends (PDF), else null.</summary>
    [JsonPropertyName("page_end")]
    public int? PageEnd { get; set; }

    /// <summary>The chunk's tokens by the model's tokenizer.</summary>
    [JsonPropertyName("tokens")]
    public int Tokens { get; set; }

    /// <summary>The chunk's text.</summary>
    [JsonPropertyName("text")]
    [ParquetRequired]
    public string Text { get; set; } = "";

    /// <summary>The chunk's embedding.</summary>
    [JsonPropertyName("vector")]
    [ParquetListElementRequired]
    public float[] Vector { get; set; } = [];
}
