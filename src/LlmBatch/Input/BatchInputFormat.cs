namespace LlmBatch.Input;

/// <summary>The simple input formats that <see cref="BatchInputConverter"/> turns into Batch API lines.</summary>
public enum BatchInputFormat
{
    /// <summary>Chosen from the file extension: <c>.csv</c> is CSV, <c>.jsonl</c>/<c>.ndjson</c> is JSONL, anything else plain text.</summary>
    Auto,

    /// <summary>Plain text, one item per line; blank lines are skipped.</summary>
    Text,

    /// <summary>CSV (RFC 4180) with a header row; one column holds the text, the others travel as metadata.</summary>
    Csv,

    /// <summary>One JSON object per line; one field holds the text, the others travel as metadata.</summary>
    Jsonl,
}
