using LlmBatch.Packing;

namespace LlmBatch;

/// <summary>
/// How a batch runs: concurrency, rate budgets, retries and timeouts. Every property states its default;
/// <see cref="Validate"/> checks them all at once and reports every problem in one exception.
/// </summary>
public sealed class BatchOptions
{
    /// <summary>
    /// The most completion tokens a request may reserve, through its body's <c>max_tokens</c> (and its two other
    /// spellings) or through <see cref="DefaultMaxOutputTokens"/>: 10,000,000, far above any model's output.
    /// </summary>
    public const int MaxOutputTokensLimit = 10_000_000;

    /// <summary>
    /// The highest request or token rate accepted, per minute (10^12, the same bound rate-limit headers are clamped
    /// to): far above any provider, and safe in the budgets' arithmetic.
    /// </summary>
    public const double MaxPerMinute = 1e12;

    /// <summary>The highest memory limit accepted: 1 PiB.</summary>
    public const long MaxMemoryLimit = 1L << 50;

    /// <summary>
    /// The longest any duration option may be (7 days): timeouts, deadlines, retry delays and the grace period all
    /// become timers, which cannot run past 49.7 days, and no single request or wait in a batch should need a week.
    /// </summary>
    public static TimeSpan MaxDuration { get; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Requests in flight at most, and items in progress at most (waiting for budget or a retry included). Default
    /// 256: by Little's law a provider allowing 10,000 requests per minute with 1.5 s answers needs about 250 in
    /// flight to be kept busy, while 256 sockets and tasks cost little. The rate budgets, or the adaptive
    /// concurrency limit below this bound, are what normally limits a run.
    /// </summary>
    public int MaxConcurrency { get; set; } = 256;

    /// <summary>
    /// A fixed number of requests in flight, or null (default) to adapt it: starting at 16, the limit grows while
    /// answers keep coming and goodput grows with it, and is cut when the server refuses for lack of room (a fast
    /// 503, 529, or a 429 without rate-limit headers) or only queues the extra requests (latency grows, goodput does
    /// not). A server that sends rate-limit headers is paced by its budgets and the limit opens to
    /// <see cref="MaxConcurrency"/>. See docs/limits.md for the algorithm.
    /// </summary>
    public int? Concurrency { get; set; }

    /// <summary>
    /// Embeddings requests of one input each are sent together, up to this many inputs a request, or null (default)
    /// for as many as the provider takes (2,048 inputs and 300,000 tokens a request); 1 sends each alone. Every item
    /// still gets its own output line, with its own vector and its share of the usage. At a request-per-minute limit
    /// this multiplies throughput by the pack size.
    /// </summary>
    public int? PackSize { get; set; }

    /// <summary>
    /// How long the run may go without any progress (no successful answer and no item finished) before it stops
    /// (default 15 minutes). Rate-limit and overload answers never fail an item by themselves: the item waits and is
    /// sent again. When a server refuses everything for this long (an exhausted daily quota, a server that answers
    /// only 503), the run stops with <see cref="BatchStalledException"/>; the items not sent have no output line, so
    /// a rerun sends them.
    /// </summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Requests per minute at most, or null (default) to learn the limit from response headers.</summary>
    public double? RequestsPerMinute { get; set; }

    /// <summary>Tokens per minute at most (prompt plus reserved completion), or null (default) to learn it from headers.</summary>
    public double? TokensPerMinute { get; set; }

    /// <summary>
    /// Whether <c>x-ratelimit-*</c> headers adjust the live budgets (default true). Flags, when given, stay an upper bound.
    /// </summary>
    public bool LearnLimitsFromHeaders { get; set; } = true;

    /// <summary>
    /// Attempts per item that may fail at most, the first included (default 6). Counted are genuine failures: 5xx
    /// other than overload, resets, timeouts, broken bodies. Rate-limit and overload answers (429, 503, 529) do not
    /// count: such an item waits for the budget or a free slot and is sent again, until <see cref="ItemDeadline"/>
    /// or <see cref="StallTimeout"/>.
    /// </summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>
    /// A fixed timeout for every attempt, or null (default) for the adaptive timeout: a multiple of the observed
    /// latency of similar requests, kept between <see cref="AttemptTimeoutFloor"/> and <see cref="AttemptTimeoutCeiling"/>.
    /// </summary>
    public TimeSpan? AttemptTimeout { get; set; }

    /// <summary>
    /// The adaptive timeout never drops below this (default 2 s). With four times the 95th percentile above it, a
    /// request that is merely slow is rarely abandoned, while a hang among sub-second answers costs about 2 s, not a minute.
    /// </summary>
    public TimeSpan AttemptTimeoutFloor { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The adaptive timeout never exceeds this, and applies it until latencies have been observed (default 10 min).</summary>
    public TimeSpan AttemptTimeoutCeiling { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The adaptive timeout is this multiple of the 95th-percentile latency of similar requests (default 4).</summary>
    public double AttemptTimeoutMultiplier { get; set; } = 4;

    /// <summary>
    /// The first retry waits up to this long, with full jitter; each further retry doubles it (default 0.5 s, as the
    /// official OpenAI SDKs). Overload is handled by the server's own wait and the run-wide 429 pause, not by this.
    /// </summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(0.5);

    /// <summary>No computed retry delay exceeds this (default 8 s, as the official OpenAI SDKs); a wait the server asks for is honoured as given.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>An item still unfinished this long after its first attempt fails permanently, or null (default) for no deadline.</summary>
    public TimeSpan? ItemDeadline { get; set; }

    /// <summary>
    /// Completion tokens reserved for a request whose body sets no <c>max_tokens</c>, <c>max_completion_tokens</c>
    /// or <c>max_output_tokens</c> (default 256). Settled against the reported usage once the response arrives.
    /// </summary>
    public int DefaultMaxOutputTokens { get; set; } = 256;

    /// <summary>
    /// Stop the whole run when a 401 or 403 arrives before any success (default true): a bad key would otherwise
    /// fail every item one by one.
    /// </summary>
    public bool StopOnAuthenticationFailure { get; set; } = true;

    /// <summary>
    /// A memory limit for the process in bytes, or null (default) for none. Near it (about 90 %) intake pauses until
    /// memory falls back (about 80 %); nothing is dropped. When the process cannot get under it at all, only growth
    /// above the level it settles at is held back, so the run still completes.
    /// </summary>
    public long? MaxMemoryBytes { get; set; }

    /// <summary>
    /// Stop the whole run when the endpoint cannot be reached (connection refused, unknown host) through every attempt
    /// of an item before any success (default true): a wrong URL or a server that is down would otherwise turn every
    /// item into a failure line.
    /// </summary>
    public bool StopWhenUnreachable { get; set; } = true;

    /// <summary>A copy to change without touching this one (an endpoint's own limits).</summary>
    internal BatchOptions Clone() => (BatchOptions)MemberwiseClone();

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (MaxConcurrency is < 1 or > 100_000)
        {
            problems.Add($"MaxConcurrency must be between 1 and 100000 (was {MaxConcurrency}).");
        }

        if (Concurrency is { } fixedConcurrency && (fixedConcurrency < 1 || fixedConcurrency > MaxConcurrency))
        {
            problems.Add($"Concurrency must be between 1 and MaxConcurrency ({MaxConcurrency}) (was {fixedConcurrency}).");
        }

        if (PackSize is { } pack && pack is < 1 or > PackingOptions.ProviderMaxInputs)
        {
            problems.Add($"PackSize must be between 1 and {PackingOptions.ProviderMaxInputs} (was {pack}).");
        }

        if (StallTimeout < TimeSpan.FromSeconds(1) || StallTimeout > MaxDuration)
        {
            problems.Add($"StallTimeout must be between 1 second and {MaxDuration.TotalDays:0} days (was {StallTimeout}).");
        }

        if (RequestsPerMinute is { } rpm && !(rpm > 0 && rpm <= MaxPerMinute))
        {
            problems.Add($"RequestsPerMinute must be a positive number up to {MaxPerMinute:0e0} (was {rpm}).");
        }

        if (TokensPerMinute is { } tpm && !(tpm > 0 && tpm <= MaxPerMinute))
        {
            problems.Add($"TokensPerMinute must be a positive number up to {MaxPerMinute:0e0} (was {tpm}).");
        }

        if (MaxAttempts is < 1 or > 100)
        {
            problems.Add($"MaxAttempts must be between 1 and 100 (was {MaxAttempts}).");
        }

        if (AttemptTimeout is { } t)
        {
            CheckDuration(problems, nameof(AttemptTimeout), t, allowZero: false);
        }

        CheckDuration(problems, nameof(AttemptTimeoutFloor), AttemptTimeoutFloor, allowZero: false);
        CheckDuration(problems, nameof(AttemptTimeoutCeiling), AttemptTimeoutCeiling, allowZero: false);
        if (AttemptTimeoutCeiling < AttemptTimeoutFloor)
        {
            problems.Add($"AttemptTimeoutCeiling ({AttemptTimeoutCeiling}) must not be below AttemptTimeoutFloor ({AttemptTimeoutFloor}).");
        }

        if (!(AttemptTimeoutMultiplier >= 1 && AttemptTimeoutMultiplier <= 1000))
        {
            problems.Add($"AttemptTimeoutMultiplier must be between 1 and 1000 (was {AttemptTimeoutMultiplier}).");
        }

        CheckDuration(problems, nameof(RetryBaseDelay), RetryBaseDelay, allowZero: true);
        CheckDuration(problems, nameof(RetryMaxDelay), RetryMaxDelay, allowZero: true);
        if (RetryMaxDelay < RetryBaseDelay)
        {
            problems.Add($"RetryMaxDelay ({RetryMaxDelay}) must not be below RetryBaseDelay ({RetryBaseDelay}).");
        }

        if (ItemDeadline is { } d)
        {
            CheckDuration(problems, nameof(ItemDeadline), d, allowZero: false);
        }

        if (DefaultMaxOutputTokens is < 0 or > MaxOutputTokensLimit)
        {
            problems.Add($"DefaultMaxOutputTokens must be between 0 and {MaxOutputTokensLimit} (was {DefaultMaxOutputTokens}).");
        }

        if (MaxMemoryBytes is { } mem && mem is <= 0 or > MaxMemoryLimit)
        {
            problems.Add($"MaxMemoryBytes must be positive and at most {MaxMemoryLimit} (was {mem}).");
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }

    /// <summary>Adds a problem when a duration is negative (or zero, unless allowed) or longer than <see cref="MaxDuration"/>.</summary>
    internal static void CheckDuration(List<string> problems, string name, TimeSpan value, bool allowZero)
    {
        if (value < TimeSpan.Zero || (value == TimeSpan.Zero && !allowZero) || value > MaxDuration)
        {
            problems.Add($"{name} must be {(allowZero ? "between 0 and" : "positive and at most")} {MaxDuration.TotalDays:0} days (was {value}).");
        }
    }
}
