namespace LlmBatch.Simulator;

/// <summary>A file held by the simulated Files API: uploaded input, or a batch's output or error file.</summary>
internal sealed class SimFile(string id, string filename, string purpose, byte[] content, long createdAt)
{
    public string Id { get; } = id;

    public string Filename { get; } = filename;

    /// <summary><c>batch</c> for uploads, <c>batch_output</c> for what a batch wrote.</summary>
    public string Purpose { get; } = purpose;

    public byte[] Content { get; } = content;

    /// <summary>Unix seconds.</summary>
    public long CreatedAt { get; } = createdAt;
}
