using LlmBatch.Providers;
using LlmBatch.Redis.Jobs;
using StackExchange.Redis;

namespace LlmBatch.Redis.Owner;

/// <summary>
/// A job run through Redis by its owner: the file-to-file job as in <see cref="BatchJob"/>, the endpoint workers send
/// to, the options they honour, and how the owner takes part itself.
/// </summary>
public sealed class RedisBatchJobOptions
{
    /// <summary>The Redis URL (required): <c>redis://[user:password@]host[:port][/db]</c>, or <c>rediss://</c> for TLS; the password may come from <c>LLMBATCH_REDIS_PASSWORD</c>.</summary>
    public string Redis { get; set; } = "";

    /// <summary>Input, output, resume and grace period (required: <see cref="BatchJobOptions.InputPath"/> and <see cref="BatchJobOptions.OutputPath"/>).</summary>
    public BatchJobOptions Job { get; set; } = new();

    /// <summary>The engine options every worker honours (limits, attempts, timeouts, packing); each worker bounds its concurrency itself.</summary>
    public BatchOptions Options { get; set; } = new();

    /// <summary>The endpoint workers send to, or null when the job runs on the embedded model (embeddings, offline).</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The NAME of the environment variable holding the key (never the key; each worker reads its own), or null when the endpoint needs none.</summary>
    public string? ApiKeyVariable { get; set; }

    /// <summary>
    /// Several endpoints or keys sharing the job (<c>--endpoints FILE</c>), or null (default) for the one of
    /// <see cref="BaseUrl"/>. Published in the job's spec (key variable NAMES only); every participant, the owner
    /// included, runs those whose key variable its environment holds, each on that endpoint's budget shared through
    /// Redis. With endpoints the owner takes part over them (and <see cref="Provider"/> is not used) whenever its
    /// environment holds at least one of their keys.
    /// </summary>
    public IReadOnlyList<RedisJobEndpoint>? Endpoints { get; set; }

    /// <summary>Reads the owner's environment for keys (default <see cref="System.Environment.GetEnvironmentVariable(string)"/>).</summary>
    public Func<string, string?>? Environment { get; set; }

    /// <summary>The longest response body workers read (default null: the library's default).</summary>
    public long? MaxResponseBytes { get; set; }

    /// <summary>The owner's own provider, to take part in the job as one more worker; null: the owner only enqueues and collects.</summary>
    public IBatchHandler? Provider { get; set; }

    /// <summary>Items the owner's own worker holds at most (default 64).</summary>
    public int Concurrency { get; set; } = 64;

    /// <summary>Items claimed per read of the queue at most (default 8).</summary>
    public int ClaimBatch { get; set; } = 8;

    /// <summary>How long a claimed item may go unrenewed before other workers take it over (default 30 s). Workers renew every third of it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long Redis may stay away before the owner stops (default 2 min); the same command resumes.</summary>
    public TimeSpan OutageAllowance { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long the job's hash and worker figures stay in Redis once the job is done (default 1 h); its streams are deleted at once.</summary>
    public TimeSpan DoneRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Completes the owner's engine before it is built (default: nothing; the local rate budget). The seam for the budget shared through Redis.</summary>
    public Func<BatchEngineBuilder, RedisJobSpec, IConnectionMultiplexer, BatchEngineBuilder>? ConfigureEngine { get; set; }

    /// <summary>Told about once a second of the whole job's progress, every worker's figures included. Default none.</summary>
    public Action<RedisJobProgress>? Progress { get; set; }

    /// <summary>Told of what happens (job created or resumed, Redis lost and back), one line each; passwords masked. Default none.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Redis))
        {
            problems.Add("Redis is required (redis://host:6379).");
        }

        try
        {
            Job.Validate();
        }
        catch (BatchOptionsException ex)
        {
            problems.AddRange(ex.Problems);
        }

        try
        {
            Options.Validate();
        }
        catch (BatchOptionsException ex)
        {
            problems.AddRange(ex.Problems);
        }

        if (Job.Include is not null)
        {
            problems.Add("Job.Include is not supported through Redis: every request of the input is enqueued.");
        }

        if (Concurrency is < 1 or > 100_000)
        {
            problems.Add($"Concurrency must be between 1 and 100000 (was {Concurrency}).");
        }

        if (ClaimBatch is < 1 or > 10_000)
        {
            problems.Add($"ClaimBatch must be between 1 and 10000 (was {ClaimBatch}).");
        }

        if (BaseUrl is { IsAbsoluteUri: false })
        {
            problems.Add("BaseUrl must be an absolute http or https URL.");
        }

        if (Endpoints is { } endpoints)
        {
            CheckEndpoints(endpoints, problems);
        }

        BatchOptions.CheckDuration(problems, nameof(Lease), Lease, allowZero: false);
        BatchOptions.CheckDuration(problems, nameof(OutageAllowance), OutageAllowance, allowZero: false);
        BatchOptions.CheckDuration(problems, nameof(DoneRetention), DoneRetention, allowZero: false);
        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }

    private void CheckEndpoints(IReadOnlyList<RedisJobEndpoint> endpoints, List<string> problems)
    {
        if (BaseUrl is not null)
        {
            problems.Add("BaseUrl and Endpoints cannot both be set: put every endpoint in Endpoints.");
        }

        if (endpoints.Count == 0)
        {
            problems.Add("Endpoints must hold at least one endpoint when set.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < endpoints.Count; i++)
        {
            var e = endpoints[i];
            if (string.IsNullOrWhiteSpace(e.Name) || !names.Add(e.Name))
            {
                problems.Add($"Endpoints[{i}]: the name must be non-empty and unique.");
            }

            if (!Uri.TryCreate(e.BaseUrl, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                problems.Add($"Endpoints[{i}] ({e.Name}): BaseUrl must be an absolute http or https URL.");
            }
        }
    }
}
