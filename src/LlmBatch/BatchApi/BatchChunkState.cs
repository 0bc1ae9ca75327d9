using LlmBatch.Input;

namespace LlmBatch.BatchApi;

/// <summary>One chunk of the input (one batch file) in the state file.</summary>
internal sealed class BatchChunkState
{
    /// <summary>1-based, unique within the job; names the local file and the upload.</summary>
    public int Index { get; set; }

    /// <summary>How many times its items have been submitted, counting this chunk's first batch.</summary>
    public int Submissions { get; set; } = 1;

    /// <summary>The endpoint kind of every line.</summary>
    public BatchEndpointKind Kind { get; set; }

    /// <summary>The model of every line.</summary>
    public string Model { get; set; } = "";

    public int Requests { get; set; }

    public long Bytes { get; set; }

    /// <summary>Prompt tokens of its lines: what it takes of the enqueued-token limit.</summary>
    public long PromptTokens { get; set; }

    /// <summary>Completion tokens its lines may use (their <c>max_tokens</c>, or the default): for the cost estimate.</summary>
    public long CompletionTokens { get; set; }

    /// <summary>The local file, relative to the work folder.</summary>
    public string File { get; set; } = "";

    /// <summary>The name it is uploaded under: unique to the job and the chunk, so a lost upload can be found again.</summary>
    public string UploadName { get; set; } = "";

    public ChunkPhase Phase { get; set; }

    public string? FileId { get; set; }

    /// <summary>When the last creation started: a batch found on the file created before this is not the lost one.</summary>
    public DateTimeOffset? CreatingSince { get; set; }

    /// <summary>Every batch created on the file, oldest first; the last is the current one.</summary>
    public List<string> BatchIds { get; set; } = [];

    /// <summary>Our own enqueued tokens (other chunks') when the current batch was created, to learn the limit from a refusal.</summary>
    public long EnqueuedAtCreation { get; set; }

    /// <summary>The current batch as last seen.</summary>
    public BatchApiStatus Status { get; set; }

    public int Completed { get; set; }

    public int Failed { get; set; }

    public DateTimeOffset? CreatedAt { get; set; }

    public DateTimeOffset? InProgressAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>The current batch's refusal, if it failed validation.</summary>
    public string? Problem { get; set; }
}
