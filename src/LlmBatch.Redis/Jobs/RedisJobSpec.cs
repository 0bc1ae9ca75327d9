namespace LlmBatch.Redis.Jobs;

/// <summary>
/// What every worker of a job must know and honour, published by the owner in the job's hash: where to send (the
/// base URL, or none for the embedded model), the NAME of the environment variable that holds the key (never the key:
/// each worker reads its own), and the run's options. Workers build their engine from it.
/// </summary>
public sealed record RedisJobSpec
{
    /// <summary>The job's id: the same command derives the same id again, so a rerun resumes the job.</summary>
    public required string JobId { get; init; }

    /// <summary>The owner's machine and output file, for people reading a worker's messages.</summary>
    public string Owner { get; init; } = "";

    /// <summary>Requests in the job's input.</summary>
    public long Total { get; init; }

    /// <summary>The OpenAI-compatible endpoint, or null when the job runs on the embedded local model (embeddings, offline).</summary>
    public string? BaseUrl { get; init; }

    /// <summary>The name of the environment variable holding the key, or null when the endpoint needs none. A worker whose environment lacks it skips the job.</summary>
    public string? ApiKeyVariable { get; init; }

    /// <summary>
    /// The job's several endpoints (<c>--endpoints FILE</c>), or null when it has one (<see cref="BaseUrl"/>). A
    /// participant runs those whose key variable its environment holds, and skips the job when it holds none.
    /// </summary>
    public IReadOnlyList<RedisJobEndpoint>? Endpoints { get; init; }

    /// <summary>The longest response body read (null: the library's default).</summary>
    public long? MaxResponseBytes { get; init; }

    /// <summary>The run's <see cref="BatchOptions.RequestsPerMinute"/>.</summary>
    public double? RequestsPerMinute { get; init; }

    /// <summary>The run's <see cref="BatchOptions.TokensPerMinute"/>.</summary>
    public double? TokensPerMinute { get; init; }

    /// <summary>The run's <see cref="BatchOptions.MaxAttempts"/>.</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>The run's <see cref="BatchOptions.AttemptTimeout"/>.</summary>
    public TimeSpan? AttemptTimeout { get; init; }

    /// <summary>The run's <see cref="BatchOptions.ItemDeadline"/>.</summary>
    public TimeSpan? ItemDeadline { get; init; }

    /// <summary>The run's <see cref="BatchOptions.DefaultMaxOutputTokens"/>.</summary>
    public int DefaultMaxOutputTokens { get; init; } = 256;

    /// <summary>The run's <see cref="BatchOptions.PackSize"/>.</summary>
    public int? PackSize { get; init; }

    /// <summary>The run's <see cref="BatchOptions.StallTimeout"/>.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a claimed item may go without its worker renewing the claim before others take it over.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Publishes the options of <paramref name="options"/> that workers must honour.</summary>
    internal static RedisJobSpec From(string jobId, BatchOptions options) => new()
    {
        JobId = jobId,
        RequestsPerMinute = options.RequestsPerMinute,
        TokensPerMinute = options.TokensPerMinute,
        MaxAttempts = options.MaxAttempts,
        AttemptTimeout = options.AttemptTimeout,
        ItemDeadline = options.ItemDeadline,
        DefaultMaxOutputTokens = options.DefaultMaxOutputTokens,
        PackSize = options.PackSize,
        StallTimeout = options.StallTimeout,
    };

    /// <summary>A worker's engine options: the job's, with the worker's own concurrency bound.</summary>
    internal BatchOptions ToBatchOptions(int maxConcurrency, int? concurrency) => new()
    {
        RequestsPerMinute = RequestsPerMinute,
        TokensPerMinute = TokensPerMinute,
        MaxAttempts = MaxAttempts,
        AttemptTimeout = AttemptTimeout,
        ItemDeadline = ItemDeadline,
        DefaultMaxOutputTokens = DefaultMaxOutputTokens,
        PackSize = PackSize,
        StallTimeout = StallTimeout,
        MaxConcurrency = maxConcurrency,
        Concurrency = concurrency,
    };
}
