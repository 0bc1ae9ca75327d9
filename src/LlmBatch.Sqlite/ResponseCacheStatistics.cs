namespace LlmBatch.Sqlite;

/// <summary>What a response cache file holds (<c>llmbatch cache stats</c>).</summary>
public sealed record ResponseCacheStatistics
{
    /// <summary>The file.</summary>
    public required string Path { get; init; }

    /// <summary>Answers stored.</summary>
    public long Entries { get; init; }

    /// <summary>Bytes of the answers' bodies.</summary>
    public long BodyBytes { get; init; }

    /// <summary>Bytes the file and its write-ahead log take on disk.</summary>
    public long FileBytes { get; init; }

    /// <summary>When an answer was last stored or given from the cache (to within <see cref="SqliteResponseCache.TouchInterval"/>); null when empty.</summary>
    public DateTimeOffset? LastUsed { get; init; }

    /// <summary>When the oldest answer was stored; null when empty.</summary>
    public DateTimeOffset? Oldest { get; init; }

    /// <summary>When the newest answer was stored; null when empty.</summary>
    public DateTimeOffset? Newest { get; init; }

    /// <summary>Answers per model, most first.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> ByModel { get; init; } = [];
}
