namespace LlmBatch.Results;

/// <summary>The file format of a merged text table.</summary>
public enum TextTableFormat
{
    /// <summary>One JSON object per line.</summary>
    Jsonl,

    /// <summary>CSV (RFC 4180) with a header row.</summary>
    Csv,
}
