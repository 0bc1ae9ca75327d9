using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.BatchApi;

/// <summary>
/// A file-to-file run through the provider's Batch API (<see cref="BatchApiJob"/>): where to read and write, which
/// provider, the mode, and the provider's limits. The defaults are OpenAI's limits; change them only for a provider
/// with other ones, or in tests.
/// </summary>
public sealed class BatchApiJobOptions
{
    /// <summary>The input file of Batch API request lines (required).</summary>
    public string InputPath { get; set; } = "";

    /// <summary>
    /// The output file of Batch API result lines (required). An existing file is resumed. Beside it the job keeps
    /// <c>OUTPUT.batches.json</c> (every file and batch id, written before each step) and the folder
    /// <c>OUTPUT.batches/</c> (the chunk files until their batch has ended).
    /// </summary>
    public string OutputPath { get; set; } = "";

    /// <summary>The API root, as for <see cref="BatchProviders.Http"/> (required). Azure's <c>…/openai?api-version=…</c> and <c>…/openai/v1</c> work.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The key (never logged or written), or null for servers that need none.</summary>
    public string? ApiKey { get; set; }

    /// <summary>A client to use instead of the built-in one; not disposed by the job.</summary>
    public HttpClient? HttpClient { get; set; }

    /// <summary>Batch only, or planned (default <see cref="BatchApiMode.Batch"/>).</summary>
    public BatchApiMode Mode { get; set; } = BatchApiMode.Batch;

    /// <summary>
    /// For <see cref="BatchApiMode.Auto"/>: when everything should be done, from the first run's start (a rerun plans
    /// with the time left). Default null: the completion window (24 h).
    /// </summary>
    public TimeSpan? Deadline { get; set; }

    /// <summary>What happens to items of failed, expired or cancelled batches (default <see cref="BatchFallback.Resubmit"/>).</summary>
    public BatchFallback Fallback { get; set; } = BatchFallback.Resubmit;

    /// <summary>
    /// The engine for the online part: needed to run <see cref="BatchApiMode.Online"/>, <see cref="BatchApiMode.Auto"/> and
    /// <see cref="BatchFallback.Online"/> (not to plan them).
    /// </summary>
    public IBatchEngine? OnlineEngine { get; set; }

    /// <summary>
    /// The online limits the planner assumes: required by <see cref="BatchApiMode.Auto"/> (give the known ones, or
    /// learn them with <see cref="OnlineLimitProbe.ProbeAsync"/>).
    /// </summary>
    public OnlineLimits? OnlineLimits { get; set; }

    /// <summary>Prices tokens for the plan: (model, prompt, completion, batch) → USD or null; default null (costs unknown).</summary>
    public Func<string, long, long, bool, decimal?>? Cost { get; set; }

    /// <summary>Requests per batch file at most (default 50,000).</summary>
    public int MaxRequestsPerFile { get; set; } = 50_000;

    /// <summary>Bytes per batch file at most (default 200,000,000: OpenAI's 200 MB).</summary>
    public long MaxBytesPerFile { get; set; } = 200_000_000;

    /// <summary>Embedding inputs per batch at most, each element of an array input counting (default 50,000).</summary>
    public int MaxEmbeddingInputsPerFile { get; set; } = 50_000;

    /// <summary>
    /// The provider's enqueued-token limit per model, when known (default null: learned from <c>token_limit_exceeded</c>
    /// refusals). Batches are submitted in waves under it.
    /// </summary>
    public long? EnqueuedTokenLimit { get; set; }

    /// <summary>
    /// How many times an item may be submitted (default 3): after a failed, expired or cancelled batch, or a retryable
    /// error line, it goes into a new batch until then; on its last submission the provider's line is kept as final.
    /// </summary>
    public int MaxSubmissions { get; set; } = 3;

    /// <summary>The first wait between status checks, and the wait after any change (default 5 s).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between status checks while nothing changes (default 60 s).</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The first backoff of a retried Files or Batches API call (default 1 s; full jitter, 60 s cap).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Delete the provider's input, output and error files once their lines are in the output and on disk (default true).</summary>
    public bool DeleteProviderFiles { get; set; } = true;

    /// <summary>Send again the items whose earlier line is a permanent failure (default false); the line is replaced.</summary>
    public bool RetryFailed { get; set; }

    /// <summary>Completion tokens assumed for a request without <c>max_tokens</c>, for the estimates (default 256).</summary>
    public int DefaultMaxOutputTokens { get; set; } = 256;

    /// <summary>How the input is checked before anything is sent.</summary>
    public BatchValidationOptions Validation { get; set; } = new();

    /// <summary>A check of <see cref="InputPath"/> already made (default null: the job checks it).</summary>
    public BatchValidationReport? CheckedInput { get; set; }

    /// <summary>After a stop, how long online requests in flight may still finish (default 10 s).</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Called once with how many items the output already holds a final line for.</summary>
    public Action<long>? Resumed { get; set; }

    /// <summary>The clock for polling, backoff and timestamps (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="BatchOptionsException">At least one option is invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        BatchJobOptions.ValidateFiles(problems, InputPath, OutputPath, CheckedInput);
        if (Mode != BatchApiMode.Online && (BaseUrl is null || !BaseUrl.IsAbsoluteUri || (BaseUrl.Scheme != Uri.UriSchemeHttp && BaseUrl.Scheme != Uri.UriSchemeHttps)))
        {
            problems.Add("BaseUrl must be an absolute http or https URL (the Batch API needs a provider; it does not run offline).");
        }

        if (Mode == BatchApiMode.Auto && OnlineLimits is null)
        {
            problems.Add("Mode Auto needs OnlineLimits for the plan (the known limits, or what OnlineLimitProbe.ProbeAsync learns).");
        }

        if (Deadline is { } d && d <= TimeSpan.Zero)
        {
            problems.Add($"Deadline must be positive (was {d}).");
        }

        if (MaxRequestsPerFile is < 1 or > 50_000)
        {
            problems.Add($"MaxRequestsPerFile must be between 1 and 50000 (was {MaxRequestsPerFile}).");
        }

        if (MaxBytesPerFile is < 1024 or > 200_000_000)
        {
            problems.Add($"MaxBytesPerFile must be between 1024 and 200000000 (was {MaxBytesPerFile}).");
        }

        if (MaxEmbeddingInputsPerFile is < 1 or > 50_000)
        {
            problems.Add($"MaxEmbeddingInputsPerFile must be between 1 and 50000 (was {MaxEmbeddingInputsPerFile}).");
        }

        if (EnqueuedTokenLimit is < 1)
        {
            problems.Add($"EnqueuedTokenLimit must be positive when given (was {EnqueuedTokenLimit}).");
        }

        if (MaxSubmissions is < 1 or > 100)
        {
            problems.Add($"MaxSubmissions must be between 1 and 100 (was {MaxSubmissions}).");
        }

        if (PollInterval <= TimeSpan.Zero || MaxPollInterval < PollInterval)
        {
            problems.Add($"PollInterval must be positive and MaxPollInterval at least as long (were {PollInterval} and {MaxPollInterval}).");
        }

        if (RetryBaseDelay < TimeSpan.Zero || ShutdownGracePeriod < TimeSpan.Zero)
        {
            problems.Add("RetryBaseDelay and ShutdownGracePeriod must not be negative.");
        }

        if (DefaultMaxOutputTokens < 0)
        {
            problems.Add($"DefaultMaxOutputTokens must not be negative (was {DefaultMaxOutputTokens}).");
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
