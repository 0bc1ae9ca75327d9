using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace LlmBatch.Cli.Output;

/// <summary>One row of the text Parquet file (<c>PREFIX.merged.parquet</c>): one result in input order.</summary>
internal sealed class ParquetTextRow
{
    /// <summary>The custom_id.</summary>
    [JsonPropertyName("custom_id")]
    [ParquetRequired]
    public string CustomId { get; set; } = "";

    /// <summary><c>succeeded</c> or <c>failed</c>.</summary>
    [JsonPropertyName("status")]
    [ParquetRequired]
    public string Status { get; set; } = "";

    /// <summary>The generated text; null for a failed item.</summary>
    [JsonPropertyName("content")]
    public string? Content { get; set; }

    /// <summary>The finish reason (<c>stop</c>, <c>length</c>…), or null.</summary>
    [JsonPropertyName("finish_reason")]
    public string? FinishReason { get; set; }

    /// <summary>The error code of a failed item (<c>http_429</c>, <c>timeout</c>, <c>invalid_response</c>…), or null.</summary>
    [JsonPropertyName("error_code")]
    public string? ErrorCode { get; set; }

    /// <summary>The error message of a failed item, or null.</summary>
    [JsonPropertyName("error_message")]
    public string? ErrorMessage { get; set; }

    /// <summary>Prompt (input) tokens the response reported, or null.</summary>
    [JsonPropertyName("prompt_tokens")]
    public long? PromptTokens { get; set; }

    /// <summary>Completion (output) tokens the response reported, or null.</summary>
    [JsonPropertyName("completion_tokens")]
    public long? CompletionTokens { get; set; }

    /// <summary>Total tokens the response reported, or null.</summary>
    [JsonPropertyName("total_tokens")]
    public long? TotalTokens { get; set; }

    /// <summary>The item's metadata columns (from prepare's metadata file) as one JSON object, or null without one.</summary>
    [JsonPropertyName("metadata")]
    public string? Metadata { get; set; }
}
