namespace LlmBatch.Redis.RateLimiting;

/// <summary>
/// Where a rate budget shared through Redis lives and how this job draws on it
/// (<see cref="RedisRateBudgetBuilderExtensions.WithRedisRateBudget"/>).
/// </summary>
/// <remarks>
/// Every process whose options name the same <see cref="Endpoint"/>, <see cref="Model"/> and <see cref="ApiKey"/>
/// (under the same <see cref="KeyPrefix"/>) draws on one budget: the request and token buckets, the limits learned
/// from <c>x-ratelimit-*</c> headers and 429s, and the pauses servers ask for. Processes with the same
/// <see cref="JobId"/> are one job (workers of it); while several jobs take from one budget each is held to its
/// share (<see cref="ShareWeight"/> over the weights of the jobs active now). The API key is never stored: only the
/// first 16 hex digits of its SHA-256 name the budget.
/// </remarks>
public sealed class RedisRateBudgetOptions
{
    /// <summary>The start of every key (default <c>llmbatch:</c>); the budget is <c>{prefix}budget:{endpoint:hash}</c> and keys beside it.</summary>
    public string KeyPrefix { get; set; } = RedisScaleOut.KeyPrefix;

    /// <summary>
    /// The provider's base URL (required), e.g. <c>https://api.openai.com/v1</c>. Normalised (scheme, default port,
    /// case of the host and a trailing slash ignored), so every process that names the same server shares one budget.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>
    /// The model, when the provider's limits are per model as OpenAI's are (default null: one budget for the key).
    /// Jobs that send different models on one key then keep separate budgets.
    /// </summary>
    public string? Model { get; set; }

    /// <summary>The API key whose budget this is (default null: <c>nokey</c>). Only a hash of it is kept, in memory and in key names.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// This job's id (default: a new GUID, a job of its own). Give the same id to every worker of one job, so that
    /// they share the job's part of the budget rather than each claiming a part.
    /// </summary>
    public string JobId { get; set; } = Guid.NewGuid().ToString("N");

    /// <summary>This job's weight (default 1): while several jobs take, each gets the budget in proportion to its weight.</summary>
    public double ShareWeight { get; set; } = 1;

    /// <summary>
    /// How long a job counts as active after its last take or settlement (default 10 s). Every take and settlement
    /// renews it; a job that stopped taking gives its share back to the others when it lapses (at once when its
    /// engine is disposed).
    /// </summary>
    public TimeSpan TakerTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the budget's keys live after their last use (default 1 hour): what was learned is kept for the next job, and then deleted.</summary>
    public TimeSpan IdleExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The longest wait between two tries while Redis is unreachable (default 2 s). The waits start at 50 ms and
    /// double; nothing is sent unmetered meanwhile, and the run's <see cref="BatchOptions.StallTimeout"/> still ends
    /// a run that Redis never comes back for.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(KeyPrefix))
        {
            problems.Add("KeyPrefix must not be empty.");
        }

        if (Endpoint is null)
        {
            problems.Add("Endpoint must be set: the provider's base URL names the budget.");
        }
        else if (!Endpoint.IsAbsoluteUri)
        {
            problems.Add($"Endpoint must be an absolute URL (was '{Endpoint}').");
        }

        if (string.IsNullOrWhiteSpace(JobId))
        {
            problems.Add("JobId must not be empty.");
        }

        if (!(ShareWeight > 0) || !double.IsFinite(ShareWeight))
        {
            problems.Add($"ShareWeight must be positive and finite (was {ShareWeight}).");
        }

        if (TakerTimeout <= TimeSpan.Zero)
        {
            problems.Add($"TakerTimeout must be positive (was {TakerTimeout}).");
        }

        if (IdleExpiry < TakerTimeout)
        {
            problems.Add($"IdleExpiry must be at least TakerTimeout (was {IdleExpiry}).");
        }

        if (MaxRetryDelay <= TimeSpan.Zero)
        {
            problems.Add($"MaxRetryDelay must be positive (was {MaxRetryDelay}).");
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}
