namespace LlmBatch.Sqlite;

/// <summary>Where the response cache lives and how big it may grow.</summary>
public sealed class SqliteResponseCacheOptions
{
    /// <summary>Default for <see cref="MaxSizeBytes"/>: 2 GiB.</summary>
    public const long DefaultMaxSizeBytes = 2L * 1024 * 1024 * 1024;

    /// <summary>The SQLite file (required); created with its folder when missing.</summary>
    public string Path { get; set; } = "";

    /// <summary>
    /// The most the file may hold (default 2 GiB, at least 1 MiB). Past it the answers used least recently (stored or
    /// answered from the cache longest ago) are deleted until it holds 90 % of this, and the file gives the space back.
    /// </summary>
    public long MaxSizeBytes { get; set; } = DefaultMaxSizeBytes;

    /// <summary>The clock that stamps when an answer was stored and last used (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Path))
        {
            problems.Add("Path is required.");
        }

        if (MaxSizeBytes < 1024 * 1024)
        {
            problems.Add($"MaxSizeBytes must be at least 1 MiB (was {MaxSizeBytes}).");
        }

        if (TimeProvider is null)
        {
            problems.Add("TimeProvider must not be null.");
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}
