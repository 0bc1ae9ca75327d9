using LlmBatch.Providers;
using LlmBatch.Redis.Jobs;
using StackExchange.Redis;

namespace LlmBatch.Redis.Workers;

/// <summary>A worker process: which Redis to look for jobs in, how much it takes on, and how it builds its engine.</summary>
public sealed class RedisWorkerOptions
{
    /// <summary>The Redis URL (required): <c>redis://[user:password@]host[:port][/db]</c>, or <c>rediss://</c> for TLS; the password may come from <c>LLMBATCH_REDIS_PASSWORD</c>.</summary>
    public string Redis { get; set; } = "";

    /// <summary>Items this worker holds at most at once, claimed and not yet published (default 64). Its engine's concurrency is bounded by it too.</summary>
    public int Concurrency { get; set; } = 64;

    /// <summary>Items claimed per read of the queue at most (default 8): small, so that a slow worker holds back little.</summary>
    public int ClaimBatch { get; set; } = 8;

    /// <summary>Leave once no open job this worker can run is left, instead of waiting for the next one (default false). A worker started before any job waits for the first.</summary>
    public bool Once { get; set; }

    /// <summary>How often an idle worker looks for a new job (default 1 s).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long Redis may stay away before the worker stops (default 2 min); held items return to others after the lease.</summary>
    public TimeSpan OutageAllowance { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>After a stop, how long requests on the wire may still finish and be published (default 10 s).</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Builds the provider for a job (default: HTTP to the job's base URL with the key from this worker's own
    /// environment variable the spec names). Return null when this worker cannot run the job; it is skipped with a
    /// message. The engine disposes what it returns.
    /// </summary>
    public Func<RedisJobSpec, IBatchHandler?>? Provider { get; set; }

    /// <summary>
    /// Completes the engine of each job before it is built (default: nothing; the rate budget is the local one). The
    /// seam for the budget shared through Redis: given the builder, the job's spec and this worker's connection.
    /// </summary>
    public Func<BatchEngineBuilder, RedisJobSpec, IConnectionMultiplexer, BatchEngineBuilder>? ConfigureEngine { get; set; }

    /// <summary>Reads this worker's environment (default <see cref="Environment.GetEnvironmentVariable(string)"/>): the key variable a job names must be set in it.</summary>
    public Func<string, string?>? Environment { get; set; }

    /// <summary>Told of what the worker does (joins, skips, leaves, Redis lost and back), one line each; passwords masked. Default none.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Told about once a second of this worker's figures in the job it works on. Default none.</summary>
    public Action<RedisWorkerStatus>? Progress { get; set; }

    /// <summary>The clock (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Redis))
        {
            problems.Add("Redis is required (redis://host:6379).");
        }

        if (Concurrency is < 1 or > 100_000)
        {
            problems.Add($"Concurrency must be between 1 and 100000 (was {Concurrency}).");
        }

        if (ClaimBatch is < 1 or > 10_000)
        {
            problems.Add($"ClaimBatch must be between 1 and 10000 (was {ClaimBatch}).");
        }

        BatchOptions.CheckDuration(problems, nameof(PollInterval), PollInterval, allowZero: false);
        BatchOptions.CheckDuration(problems, nameof(OutageAllowance), OutageAllowance, allowZero: false);
        BatchOptions.CheckDuration(problems, nameof(ShutdownGracePeriod), ShutdownGracePeriod, allowZero: true);
        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}
