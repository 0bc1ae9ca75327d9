using System.ComponentModel;
using LlmBatch.BatchApi;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Cli.Progress;
using LlmBatch.Input;
using LlmBatch.Packing;
using LlmBatch.Providers;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary>
/// The options of <c>llmbatch run</c>, typed by their converters; <see cref="Validate"/> checks ranges and combinations,
/// each problem naming its flag. <see cref="RunOptionsMapping"/> turns them into the library's options.
/// </summary>
internal sealed class RunSettings : PrepareSettings
{
    [CommandOption("-o|--output <FILE>")]
    [Description("Output JSONL (default: INPUT with .results.jsonl). An existing file is resumed.")]
    public string? Output { get; init; }

    [CommandOption("--base-url <URL>")]
    [Description("OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (default: $OPENAI_BASE_URL, else api.openai.com when a key is set).")]
    public string? BaseUrl { get; init; }

    [CommandOption("--api-key-env <NAME>")]
    [Description("Environment variable holding the API key (default OPENAI_API_KEY). Keys are never taken as flags.")]
    public string? ApiKeyEnv { get; init; }

    [CommandOption("--endpoints <FILE>")]
    [Description("Several endpoints or keys share the run: a JSON file of {name, base_url, api_key_env, rpm, tpm, weight, model} entries (docs/endpoints.md). Not with --base-url, --api-key-env, --rpm, --tpm or --mode batch/auto.")]
    public string? Endpoints { get; init; }

    [CommandOption("--rpm <N>")]
    [Description("Requests per minute at most (default: learned from response headers).")]
    [TypeConverter(typeof(NumberConverter<double>))]
    public double? Rpm { get; init; }

    [CommandOption("--tpm <N>")]
    [Description("Tokens per minute at most, prompt plus max_tokens (default: learned from response headers).")]
    [TypeConverter(typeof(NumberConverter<double>))]
    public double? Tpm { get; init; }

    [CommandOption("--max-concurrency <N>")]
    [Description("Requests in flight at most: the upper bound of the adaptive concurrency (default 256).")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? MaxConcurrency { get; init; }

    [CommandOption("--concurrency <N>")]
    [Description("Fix the requests in flight at N instead of adapting to the server (default: adaptive, from 16, cut on 503/529/header-less 429 or queueing).")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? Concurrency { get; init; }

    [CommandOption("--pack <N>")]
    [Description("Embeddings requests of one input each are sent N to a request, each item still with its own line (default: as many as the provider takes, 2,048 inputs or 300,000 tokens; 1 sends each alone).")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? Pack { get; init; }

    [CommandOption("--stall-timeout <DURATION>")]
    [Description("Stop the run when the server has refused everything (429/503) this long with no progress; a rerun resumes (default 15m).")]
    [TypeConverter(typeof(DurationConverter))]
    public TimeSpan? StallTimeout { get; init; }

    [CommandOption("--max-attempts <N>")]
    [Description("Attempts per item, the first included (default 6).")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? MaxAttempts { get; init; }

    [CommandOption("--attempt-timeout <DURATION>")]
    [Description("Fixed timeout per attempt, e.g. 30s (default: adaptive, 4x the p95 latency of similar requests, 2s..10m).")]
    [TypeConverter(typeof(DurationConverter))]
    public TimeSpan? AttemptTimeout { get; init; }

    [CommandOption("--item-deadline <DURATION>")]
    [Description("Give up on an item this long after its first attempt (default: none).")]
    [TypeConverter(typeof(DurationConverter))]
    public TimeSpan? ItemDeadline { get; init; }

    [CommandOption("--default-max-tokens <N>")]
    [Description("Completion tokens reserved for requests without max_tokens (default 256).")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? DefaultMaxTokens { get; init; }

    [CommandOption("--retry-failed")]
    [Description("Send again the items whose earlier result was a permanent failure.")]
    public bool RetryFailed { get; init; }

    [CommandOption("--preserve-order")]
    [Description("Rewrite the output in input order at the end.")]
    public bool PreserveOrder { get; init; }

    [CommandOption("--max-memory <SIZE>")]
    [Description("Pause reading new items when the process nears this much memory, e.g. 512MB (default: no limit).")]
    [TypeConverter(typeof(SizeConverter))]
    public long? MaxMemory { get; init; }

    [CommandOption("--max-line-bytes <N>")]
    [Description("Longest input line accepted, in bytes (default 8 MiB).")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? MaxLineBytes { get; init; }

    [CommandOption("--max-response-bytes <SIZE>")]
    [Description("Longest response body read, counted decompressed, e.g. 256MB (default 64MB; 1KB to 512MB). A success past it fails its item at once; an error page is cut.")]
    [TypeConverter(typeof(SizeConverter))]
    public long? MaxResponseBytes { get; init; }

    [CommandOption("--progress <MODE>")]
    [Description("auto (default: rich in a terminal, plain lines otherwise), rich, plain or none.")]
    [TypeConverter(typeof(ChoiceConverter<ProgressMode>))]
    public ProgressMode? Progress { get; init; }

    [CommandOption("-q|--quiet")]
    [Description("No progress display and no summary (errors still go to stderr).")]
    public bool Quiet { get; init; }

    [CommandOption("-v|--verbose")]
    [Description("Log the limits learned from headers and every 429 pause to stderr.")]
    public bool Verbose { get; init; }

    [CommandOption("--no-report")]
    [Description("Do not write summary.json and report.html next to the output.")]
    public bool NoReport { get; init; }

    [CommandOption("--report-dir <DIR>")]
    [Description("Where to write summary.json and report.html (default: the output's directory).")]
    public string? ReportDir { get; init; }

    [CommandOption("--prices <FILE>")]
    [Description("Price table laid over the built-in one (our JSON, or LiteLLM's model_prices_and_context_window.json), for the live spend, --max-cost, --dry-run and the report.")]
    public string? Prices { get; init; }

    [CommandOption("--max-cost <USD>")]
    [Description("Stop sending before the spend (settled plus reserved by requests in flight) could pass this many US dollars; exit 1, and a rerun with a higher cap continues (default: no cap).")]
    [TypeConverter(typeof(NumberConverter<decimal>))]
    public decimal? MaxCost { get; init; }

    [CommandOption("--cache <PATH>")]
    [Description("Response cache in this SQLite file: answers already paid for, by any run, are not sent again (default: no cache).")]
    public string? Cache { get; init; }

    [CommandOption("--cache-all")]
    [Description("Cache and share every request, not only deterministic ones (embeddings, temperature 0 or a seed).")]
    public bool CacheAll { get; init; }

    [CommandOption("--cache-max-size <SIZE>")]
    [Description("Largest the cache file may grow, e.g. 10GB; the least recently used answers are evicted past it (default 2GB).")]
    [TypeConverter(typeof(SizeConverter))]
    public long? CacheMaxSize { get; init; }

    [CommandOption("--no-dedupe")]
    [Description("Send identical requests of the file each time instead of once (default: deterministic ones are sent once and share the answer).")]
    public bool NoDedupe { get; init; }

    [CommandOption("--otlp")]
    [Description("Export metrics and traces over OTLP (endpoint from OTEL_EXPORTER_OTLP_ENDPOINT or --otlp-endpoint).")]
    public bool Otlp { get; init; }

    [CommandOption("--otlp-endpoint <URL>")]
    [Description("OTLP endpoint (implies --otlp).")]
    public string? OtlpEndpoint { get; init; }

    [CommandOption("--prometheus-port <PORT>")]
    [Description("Serve Prometheus metrics on http://127.0.0.1:PORT/metrics during the run.")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? PrometheusPort { get; init; }

    [CommandOption("--merge")]
    [Description("At the end of a completed run, merge the results as `llmbatch merge` does: text in input order, or embeddings as .npy (auto-detected), with the prepared input's columns.")]
    public bool Merge { get; init; }

    [CommandOption("--parquet")]
    [Description("With --merge: also write Parquet in row groups: embeddings as PREFIX.parquet (custom_id, embedding list<float>), text as PREFIX.merged.parquet (custom_id, status, content, tokens...).")]
    public bool Parquet { get; init; }

    [CommandOption("--mode <MODE>")]
    [Description("online (default): send at the provider's rate limits; batch: through the provider's Batch API (half the price, up to 24h); auto: online what fits --deadline, the Batch API for the rest.")]
    [TypeConverter(typeof(ChoiceConverter<BatchApiMode>))]
    public BatchApiMode? Mode { get; init; }

    [CommandOption("--deadline <DURATION>")]
    [Description("With --mode auto: when everything should be done, e.g. 2h (default: the Batch API's 24h window). Fixed on the first run.")]
    [TypeConverter(typeof(DurationConverter))]
    public TimeSpan? Deadline { get; init; }

    [CommandOption("--fallback <WHAT>")]
    [Description("Items of a failed, expired or cancelled batch: resubmit (default: a new batch, 3 submissions at most) or online.")]
    [TypeConverter(typeof(ChoiceConverter<BatchFallback>))]
    public BatchFallback? Fallback { get; init; }

    [CommandOption("--dry-run")]
    [Description("Print the estimate (tokens and cost online and in batch mode, per model) and the plan, and send nothing. With --mode batch or auto the plan also weighs online time at the limits against the batch turnaround; without --rpm/--tpm that sends one tiny probe request to learn the limits.")]
    public bool DryRun { get; init; }

    [CommandOption("--poll-interval <DURATION>")]
    [Description("Batch mode: the first wait between status checks, growing to 60s while nothing changes (default 5s).")]
    [TypeConverter(typeof(DurationConverter))]
    public TimeSpan? PollInterval { get; init; }

    [CommandOption("--batch-max-requests <N>")]
    [Description("Batch mode: requests per batch file at most (default 50000, the provider's limit).")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? BatchMaxRequests { get; init; }

    [CommandOption("--enqueued-token-limit <N>")]
    [Description("Batch mode: the provider's enqueued-token limit per model, when known (default: learned from token_limit_exceeded).")]
    [TypeConverter(typeof(NumberConverter<long>))]
    public long? EnqueuedTokenLimit { get; init; }

    [CommandOption("--keep-files")]
    [Description("Batch mode: keep the provider's input, output and error files (default: deleted once their lines are in the output).")]
    public bool KeepFiles { get; init; }

    [CommandOption("--reduce <TEMPLATE>")]
    [Description("Documents: combine each document's chunk answers, in order, into one answer per document (custom_id = its path), with {text} for the answers, {path} and {chunks}; in a tree when they do not fit --reduce-tokens. Needs --chunk-tokens.")]
    public string? Reduce { get; init; }

    [CommandOption("--reduce-tokens <N>")]
    [Description("With --reduce: tokens of answers one reduce request combines at most (default: --chunk-tokens).")]
    [TypeConverter(typeof(NumberConverter<int>))]
    public int? ReduceTokens { get; init; }

    [CommandOption("--redis <URL>")]
    [Description("Share the job through Redis (redis://[[user:password@]]host:6379[[/db]], rediss:// for TLS; password also from LLMBATCH_REDIS_PASSWORD): enqueue it, take part, collect into the output; `llmbatch worker` processes join it.")]
    public string? Redis { get; init; }

    [CommandOption("--lease <DURATION>")]
    [Description("With --redis: how long a worker's claim on an item lasts unrenewed before others take the item over (default 30s; workers renew every third of it).")]
    [TypeConverter(typeof(DurationConverter))]
    public TimeSpan? Lease { get; init; }

    [CommandOption("--grace <DURATION>")]
    [Description("After Ctrl+C, how long requests in flight may finish (default 10s).")]
    [TypeConverter(typeof(DurationConverter))]
    public TimeSpan? Grace { get; init; }

    public override ValidationResult Validate()
    {
        var problems = new List<string>();
        if (Redis is not null && (Mode is not null && Mode != BatchApiMode.Online || Reduce is not null))
        {
            problems.Add("--redis runs a job online through workers; it does not combine with --mode batch|auto or --reduce");
        }

        if (Redis is not null && (MaxCost is not null || Cache is not null))
        {
            // Each worker would meter and cache on its own: a cap or a cache per process is not what the flags promise.
            problems.Add("--redis does not combine with --max-cost or --cache yet: each worker would keep its own cap and cache");
        }

        CliValues.CheckDuration(problems, "--attempt-timeout", AttemptTimeout, allowZero: false, "30s, 500ms, 2m");
        CliValues.CheckDuration(problems, "--item-deadline", ItemDeadline, allowZero: false, "10m");
        CliValues.CheckDuration(problems, "--grace", Grace, allowZero: true, "10s");
        CliValues.CheckDuration(problems, "--lease", Lease, allowZero: false, "30s");
        CliValues.CheckSize(problems, "--max-memory", MaxMemory, 1024 * 1024, BatchOptions.MaxMemoryLimit, "512MB, 2GB");
        CliValues.CheckSize(problems, "--max-response-bytes", MaxResponseBytes, HttpBatchHandler.MinMaxResponseBytes, HttpBatchHandler.MaxMaxResponseBytes, "256MB");
        CliValues.CheckRange(problems, "--rpm", Rpm, 0, BatchOptions.MaxPerMinute, minExclusive: true);
        CliValues.CheckRange(problems, "--tpm", Tpm, 0, BatchOptions.MaxPerMinute, minExclusive: true);
        CliValues.CheckRange(problems, "--max-concurrency", MaxConcurrency, 1, 100_000);
        CliValues.CheckRange(problems, "--max-attempts", MaxAttempts, 1, 100);
        CliValues.CheckRange(problems, "--default-max-tokens", DefaultMaxTokens, 0, BatchOptions.MaxOutputTokensLimit);
        CheckItemFlags(problems);
        CliValues.CheckRange(problems, "--max-line-bytes", MaxLineBytes, BatchValidationOptions.MinMaxLineBytes, BatchValidationOptions.MaxMaxLineBytes);
        CliValues.CheckDuration(problems, "--stall-timeout", StallTimeout, allowZero: false, "15m");
        CliValues.CheckRange(problems, "--concurrency", Concurrency, 1, 100_000);
        CliValues.CheckRange(problems, "--pack", Pack, 1, PackingOptions.ProviderMaxInputs);
        if (OtlpEndpoint is not null && !Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out _))
        {
            problems.Add($"--otlp-endpoint: '{UrlRedaction.Redact(OtlpEndpoint)}' is not a URL");
        }

        CliValues.CheckRange(problems, "--prometheus-port", PrometheusPort, 1, 65535);

        if (MaxCost is { } cap && cap <= 0)
        {
            problems.Add($"--max-cost: {cap} must be a positive amount of US dollars");
        }

        if (CacheMaxSize < 1024 * 1024)
        {
            problems.Add($"--cache-max-size: {CliValues.Size(CacheMaxSize.Value)} is not a size of at least 1MB (e.g. 10GB)");
        }

        if ((CacheAll || CacheMaxSize is not null) && Cache is null)
        {
            problems.Add("--cache-all and --cache-max-size need --cache PATH");
        }

        if (Parquet && !Merge)
        {
            problems.Add("--parquet needs --merge (or run `llmbatch merge RESULTS --parquet` afterwards)");
        }

        CliValues.CheckDuration(problems, "--deadline", Deadline, allowZero: false, "2h, 90m");
        CliValues.CheckDuration(problems, "--poll-interval", PollInterval, allowZero: false, "5s");

        if (BatchMaxRequests is < 1 or > 50_000)
        {
            problems.Add($"--batch-max-requests: {BatchMaxRequests} must be between 1 and 50000");
        }

        if (EnqueuedTokenLimit is < 1)
        {
            problems.Add($"--enqueued-token-limit: {EnqueuedTokenLimit} must be positive");
        }

        if (Reduce is not null && ChunkTokens is null)
        {
            problems.Add("--reduce needs --chunk-tokens (the size of the parts whose answers it combines)");
        }

        if (ReduceTokens is not null && Reduce is null)
        {
            problems.Add("--reduce-tokens needs --reduce");
        }

        if (BaseUrl is not null && !(Uri.TryCreate(BaseUrl, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps)))
        {
            // Quoted with its credentials taken out: a URL of another scheme can still carry user:password@.
            problems.Add($"--base-url: '{UrlRedaction.Redact(BaseUrl)}' is not an http(s) URL");
        }

        if (Endpoints is not null)
        {
            // Each endpoint's URL, key and limits are in the file; one flag for all of them would be ambiguous.
            foreach (var (given, flag) in new[] { (BaseUrl is not null, "--base-url"), (ApiKeyEnv is not null, "--api-key-env"), (Rpm is not null, "--rpm"), (Tpm is not null, "--tpm") })
            {
                if (given)
                {
                    problems.Add($"{flag} cannot be combined with --endpoints: set it per endpoint in the file");
                }
            }

            if (Mode is { } mode && mode != BatchApiMode.Online)
            {
                problems.Add("--endpoints runs online only (--mode online)");
            }
        }

        return problems.Count == 0 ? ValidationResult.Success() : ValidationResult.Error(string.Join("; ", problems));
    }

    /// <summary>The mode asked for (<c>--mode</c>), online when not given.</summary>
    internal BatchApiMode BatchMode => Mode ?? BatchApiMode.Online;

    /// <summary>The progress display: none when quiet, else <c>--progress</c>, auto when not given.</summary>
    internal ProgressMode ProgressMode => Quiet ? ProgressMode.None : Progress ?? ProgressMode.Auto;

    internal string OutputPath => Output ?? DefaultOutput(Input);

    internal override bool IsDocuments => base.IsDocuments || Reduce is not null;

    /// <summary>
    /// True when the input is items to turn into requests first: a prepare option was given, or the file is
    /// CSV or plain text by its extension (a Batch API file is JSONL).
    /// </summary>
    internal bool NeedsPreparing => AnyGiven || Path.GetExtension(Input).ToLowerInvariant() is ".csv" or ".txt";

    /// <summary>Where the prepared requests go: beside the output, <c>reviews.results.jsonl</c> → <c>reviews.requests.jsonl</c>.</summary>
    internal string PreparedRequestsPath
    {
        get
        {
            var output = OutputPath;
            var stem = output.EndsWith(".results.jsonl", StringComparison.OrdinalIgnoreCase)
                ? output[..^".results.jsonl".Length]
                : Path.Combine(Path.GetDirectoryName(output) ?? "", Path.GetFileNameWithoutExtension(output));
            return stem + ".requests.jsonl";
        }
    }

    private static string DefaultOutput(string input)
    {
        // A folder docs/ gives docs.results.jsonl beside it; a glob, documents.results.jsonl here.
        input = Path.TrimEndingDirectorySeparator(input);
        if (input.AsSpan().IndexOfAny("*?[") >= 0)
        {
            return "documents.results.jsonl";
        }

        var dir = Path.GetDirectoryName(input) ?? "";
        var stem = Path.GetFileNameWithoutExtension(input);
        return Path.Combine(dir, stem + ".results.jsonl");
    }
}
