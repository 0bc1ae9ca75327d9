using System.ComponentModel;
using LlmBatch.BatchApi;
using LlmBatch.Cli.Cost;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Cli.Progress;
using LlmBatch.Cli.Telemetry;
using LlmBatch.Cost;
using LlmBatch.Files;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Packing;
using LlmBatch.Providers;
using LlmBatch.Reporting;
using LlmBatch.Results;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary><c>llmbatch run</c>: a Batch API file through an endpoint, resumable, at the provider's limit.</summary>
internal sealed class RunCommand : AsyncCommand<RunCommand.Settings>
{
    /// <summary>The options of <c>llmbatch run</c>.</summary>
    public sealed class Settings : PrepareSettings
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

        [CommandOption("--rpm <N>")]
        [Description("Requests per minute at most (default: learned from response headers).")]
        public double? Rpm { get; init; }

        [CommandOption("--tpm <N>")]
        [Description("Tokens per minute at most, prompt plus max_tokens (default: learned from response headers).")]
        public double? Tpm { get; init; }

        [CommandOption("--max-concurrency <N>")]
        [Description("Requests in flight at most: the upper bound of the adaptive concurrency (default 256).")]
        public int? MaxConcurrency { get; init; }

        [CommandOption("--concurrency <N>")]
        [Description("Fix the requests in flight at N instead of adapting to the server (default: adaptive, from 16, cut on 503/529/header-less 429 or queueing).")]
        public int? Concurrency { get; init; }

        [CommandOption("--pack <N>")]
        [Description("Embeddings requests of one input each are sent N to a request, each item still with its own line (default: as many as the provider takes, 2,048 inputs or 300,000 tokens; 1 sends each alone).")]
        public int? Pack { get; init; }

        [CommandOption("--stall-timeout <DURATION>")]
        [Description("Stop the run when the server has refused everything (429/503) this long with no progress; a rerun resumes (default 15m).")]
        public string? StallTimeout { get; init; }

        [CommandOption("--max-attempts <N>")]
        [Description("Attempts per item, the first included (default 6).")]
        public int? MaxAttempts { get; init; }

        [CommandOption("--attempt-timeout <DURATION>")]
        [Description("Fixed timeout per attempt, e.g. 30s (default: adaptive, 4x the p95 latency of similar requests, 2s..10m).")]
        public string? AttemptTimeout { get; init; }

        [CommandOption("--item-deadline <DURATION>")]
        [Description("Give up on an item this long after its first attempt (default: none).")]
        public string? ItemDeadline { get; init; }

        [CommandOption("--default-max-tokens <N>")]
        [Description("Completion tokens reserved for requests without max_tokens (default 256).")]
        public int? DefaultMaxTokens { get; init; }

        [CommandOption("--retry-failed")]
        [Description("Send again the items whose earlier result was a permanent failure.")]
        public bool RetryFailed { get; init; }

        [CommandOption("--preserve-order")]
        [Description("Rewrite the output in input order at the end.")]
        public bool PreserveOrder { get; init; }

        [CommandOption("--max-memory <SIZE>")]
        [Description("Pause reading new items when the process nears this much memory, e.g. 512MB (default: no limit).")]
        public string? MaxMemory { get; init; }

        [CommandOption("--max-line-bytes <N>")]
        [Description("Longest input line accepted, in bytes (default 8 MiB).")]
        public int? MaxLineBytes { get; init; }

        [CommandOption("--max-response-bytes <SIZE>")]
        [Description("Longest response body read, counted decompressed, e.g. 256MB (default 64MB; 1KB to 512MB). A success past it fails its item at once; an error page is cut.")]
        public string? MaxResponseBytes { get; init; }

        [CommandOption("--progress <MODE>")]
        [Description("auto (default: rich in a terminal, plain lines otherwise), rich, plain or none.")]
        public string? Progress { get; init; }

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
        public decimal? MaxCost { get; init; }

        [CommandOption("--cache <PATH>")]
        [Description("Response cache in this SQLite file: answers already paid for, by any run, are not sent again (default: no cache).")]
        public string? Cache { get; init; }

        [CommandOption("--cache-all")]
        [Description("Cache and share every request, not only deterministic ones (embeddings, temperature 0 or a seed).")]
        public bool CacheAll { get; init; }

        [CommandOption("--cache-max-size <SIZE>")]
        [Description("Largest the cache file may grow, e.g. 10GB; the least recently used answers are evicted past it (default 2GB).")]
        public string? CacheMaxSize { get; init; }

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
        public int? PrometheusPort { get; init; }

        [CommandOption("--merge")]
        [Description("At the end of a completed run, merge the results as `llmbatch merge` does: text in input order, or embeddings as .npy (auto-detected), with the prepared input's columns.")]
        public bool Merge { get; init; }

        [CommandOption("--parquet")]
        [Description("With --merge: also write Parquet in row groups: embeddings as PREFIX.parquet (custom_id, embedding list<float>), text as PREFIX.merged.parquet (custom_id, status, content, tokens...).")]
        public bool Parquet { get; init; }

        [CommandOption("--mode <MODE>")]
        [Description("online (default): send at the provider's rate limits; batch: through the provider's Batch API (half the price, up to 24h); auto: online what fits --deadline, the Batch API for the rest.")]
        public string? Mode { get; init; }

        [CommandOption("--deadline <DURATION>")]
        [Description("With --mode auto: when everything should be done, e.g. 2h (default: the Batch API's 24h window). Fixed on the first run.")]
        public string? Deadline { get; init; }

        [CommandOption("--fallback <WHAT>")]
        [Description("Items of a failed, expired or cancelled batch: resubmit (default: a new batch, 3 submissions at most) or online.")]
        public string? Fallback { get; init; }

        [CommandOption("--dry-run")]
        [Description("Print the estimate (tokens and cost online and in batch mode, per model) and the plan, and send nothing. With --mode batch or auto the plan also weighs online time at the limits against the batch turnaround; without --rpm/--tpm that sends one tiny probe request to learn the limits.")]
        public bool DryRun { get; init; }

        [CommandOption("--poll-interval <DURATION>")]
        [Description("Batch mode: the first wait between status checks, growing to 60s while nothing changes (default 5s).")]
        public string? PollInterval { get; init; }

        [CommandOption("--batch-max-requests <N>")]
        [Description("Batch mode: requests per batch file at most (default 50000, the provider's limit).")]
        public int? BatchMaxRequests { get; init; }

        [CommandOption("--enqueued-token-limit <N>")]
        [Description("Batch mode: the provider's enqueued-token limit per model, when known (default: learned from token_limit_exceeded).")]
        public long? EnqueuedTokenLimit { get; init; }

        [CommandOption("--keep-files")]
        [Description("Batch mode: keep the provider's input, output and error files (default: deleted once their lines are in the output).")]
        public bool KeepFiles { get; init; }

        [CommandOption("--reduce <TEMPLATE>")]
        [Description("Documents: combine each document's chunk answers, in order, into one answer per document (custom_id = its path), with {text} for the answers, {path} and {chunks}; in a tree when they do not fit --reduce-tokens. Needs --chunk-tokens.")]
        public string? Reduce { get; init; }

        [CommandOption("--reduce-tokens <N>")]
        [Description("With --reduce: tokens of answers one reduce request combines at most (default: --chunk-tokens).")]
        public int? ReduceTokens { get; init; }

        [CommandOption("--grace <DURATION>")]
        [Description("After Ctrl+C, how long requests in flight may finish (default 10s).")]
        public string? Grace { get; init; }

        public override ValidationResult Validate()
        {
            var problems = new List<string>();
            CliValues.CheckDuration(problems, "--attempt-timeout", AttemptTimeout, allowZero: false, "30s, 500ms, 2m");
            CliValues.CheckDuration(problems, "--item-deadline", ItemDeadline, allowZero: false, "10m");
            CliValues.CheckDuration(problems, "--grace", Grace, allowZero: true, "10s");
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
            if (Progress is not null && !TryParseProgress(Progress, out _))
            {
                problems.Add($"--progress: '{Progress}' must be auto, rich, plain or none");
            }

            if (OtlpEndpoint is not null && !Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out _))
            {
                problems.Add($"--otlp-endpoint: '{UrlRedaction.Redact(OtlpEndpoint)}' is not a URL");
            }

            CliValues.CheckRange(problems, "--prometheus-port", PrometheusPort, 1, 65535);

            if (MaxCost is { } cap && cap <= 0)
            {
                problems.Add($"--max-cost: {cap} must be a positive amount of US dollars");
            }

            if (CacheMaxSize is not null && !(CliValues.TryParseSize(CacheMaxSize, out var cacheSize) && cacheSize >= 1024 * 1024))
            {
                problems.Add($"--cache-max-size: '{CacheMaxSize}' is not a size of at least 1MB (e.g. 10GB)");
            }

            if ((CacheAll || CacheMaxSize is not null) && Cache is null)
            {
                problems.Add("--cache-all and --cache-max-size need --cache PATH");
            }

            if (Parquet && !Merge)
            {
                problems.Add("--parquet needs --merge (or run `llmbatch merge RESULTS --parquet` afterwards)");
            }

            if (Mode is not null && !TryParseMode(Mode, out _))
            {
                problems.Add($"--mode: '{Mode}' must be online, batch or auto");
            }

            if (Deadline is not null && !(CliValues.TryParseDuration(Deadline, out var d) && d > TimeSpan.Zero))
            {
                problems.Add($"--deadline: '{Deadline}' is not a duration (e.g. 2h, 90m)");
            }

            if (Fallback is not null && Fallback is not ("resubmit" or "online"))
            {
                problems.Add($"--fallback: '{Fallback}' must be resubmit or online");
            }

            if (PollInterval is not null && !(CliValues.TryParseDuration(PollInterval, out var p) && p > TimeSpan.Zero))
            {
                problems.Add($"--poll-interval: '{PollInterval}' is not a duration (e.g. 5s)");
            }

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

            return problems.Count == 0 ? ValidationResult.Success() : ValidationResult.Error(string.Join("; ", problems));
        }

        internal BatchOptions ToBatchOptions()
        {
            var options = new BatchOptions
            {
                RequestsPerMinute = Rpm,
                TokensPerMinute = Tpm,
            };
            if (MaxConcurrency is { } c)
            {
                options.MaxConcurrency = c;
            }

            if (Concurrency is { } fixedConcurrency)
            {
                options.Concurrency = fixedConcurrency;

                // A fixed concurrency above the default bound raises the bound with it, unless the bound was given too.
                if (MaxConcurrency is null)
                {
                    options.MaxConcurrency = Math.Max(options.MaxConcurrency, fixedConcurrency);
                }
            }

            if (Pack is { } pack)
            {
                options.PackSize = pack;
            }

            if (CliValues.TryParseDuration(StallTimeout, out var stall))
            {
                options.StallTimeout = stall;
            }

            if (MaxAttempts is { } a)
            {
                options.MaxAttempts = a;
            }

            if (DefaultMaxTokens is { } t)
            {
                options.DefaultMaxOutputTokens = t;
            }

            if (CliValues.TryParseDuration(AttemptTimeout, out var timeout))
            {
                options.AttemptTimeout = timeout;
            }

            if (CliValues.TryParseDuration(ItemDeadline, out var deadline))
            {
                options.ItemDeadline = deadline;
            }

            if (CliValues.TryParseSize(MaxMemory, out var memory))
            {
                options.MaxMemoryBytes = memory;
            }

            return options;
        }

        /// <summary>The mode asked for (<c>--mode</c>), online when not given.</summary>
        internal BatchApiMode BatchMode => TryParseMode(Mode, out var mode) ? mode : BatchApiMode.Online;

        internal static bool TryParseMode(string? text, out BatchApiMode mode)
        {
            mode = BatchApiMode.Online;
            return text is null || (Enum.TryParse(text, ignoreCase: true, out mode) && Enum.IsDefined(mode) && !char.IsAsciiDigit(text[0]));
        }

        /// <summary>The <c>--max-response-bytes</c> cap, or null for the provider's default.</summary>
        internal long? MaxResponseBytesValue => CliValues.TryParseSize(MaxResponseBytes, out var bytes) ? bytes : null;

        internal ProgressMode ProgressMode => Quiet ? ProgressMode.None : TryParseProgress(Progress, out var mode) ? mode : ProgressMode.Auto;

        internal static bool TryParseProgress(string? text, out ProgressMode mode)
        {
            mode = ProgressMode.Auto;
            return text is null || Enum.TryParse(text, ignoreCase: true, out mode);
        }

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

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToBatchOptions();
        options.Validate();
        CheckReportTargets(settings);

        using var stop = new CancellationTokenSource();
        using var signals = StopSignals.Register(stop);
        var validation = new BatchValidationOptions { CountTokens = false };
        if (settings.MaxLineBytes is { } maxLine)
        {
            validation.MaxLineBytes = maxLine;
        }

        // Checked here, before the provider is chosen (the file's endpoints decide it); the job reuses this check.
        var input = settings.NeedsPreparing ? await PrepareAsync(settings, stop.Token).ConfigureAwait(false) : settings.Input;
        var check = await BatchInputFile.ValidateAsync(input, validation, stop.Token).ConfigureAwait(false);
        check.ThrowIfInvalid();

        // Prices, --max-cost, dedupe and --cache; --dry-run prints the estimate, and online stops there (batch and
        // auto go on to weigh the modes, which may need one probe request to learn the limits).
        var costs = await RunCosts.CreateAsync(settings, input, check, stop.Token).ConfigureAwait(false);
        await using var costsScope = costs.ConfigureAwait(false);
        if (settings.DryRun)
        {
            var estimate = await costs.EstimateAsync(input, options, stop.Token).ConfigureAwait(false);
            Console.Out.Write(EstimatePrinter.Format(estimate));
            if (settings.BatchMode == BatchApiMode.Online)
            {
                Console.Out.WriteLine(EstimatePrinter.Plan(estimate, settings.OutputPath));
                return CliApp.ExitSuccess;
            }
        }

        using var setup = ProviderSetup.Create(settings.BaseUrl, settings.ApiKeyEnv, check.ByEndpoint, settings.MaxResponseBytesValue);
        var provider = setup.Handler;
        if (!settings.Quiet)
        {
            Console.Error.WriteLine($"llmbatch: {check.Requests:N0} request(s); {setup.Description}");
        }

        using var telemetry = TelemetrySetup.Start(settings.Otlp || settings.OtlpEndpoint is not null, settings.OtlpEndpoint is null ? null : new Uri(settings.OtlpEndpoint), settings.PrometheusPort);
        using var loggers = CliLogging.Create(settings.Verbose);
        var builder = costs.Apply(new BatchEngineBuilder(provider).WithOptions(options).WithLoggerFactory(loggers), options);
        if (settings.BatchMode != BatchApiMode.Online)
        {
            // The Batch API modes and their plan live in BatchModeRun; the engine serves their online part.
            return await BatchModeRun.ExecuteAsync(settings, input, check, setup, builder.Build(), costs.Prices, stop, signals).ConfigureAwait(false);
        }

        var job = new BatchJobOptions
        {
            InputPath = input,
            OutputPath = settings.OutputPath,
            RetryFailed = settings.RetryFailed,
            PreserveOrder = settings.PreserveOrder,
        };
        if (CliValues.TryParseDuration(settings.Grace, out var grace))
        {
            job.ShutdownGracePeriod = grace;
        }

        job.Validation = validation;

        // One job with its progress display; a map-reduce runs one per phase, each on an engine of its own so that
        // its progress counts its own items.
        IBatchEngine? engine = null;
        async Task<BatchJobResult> RunPhaseAsync(BatchJobOptions phase, CancellationToken ct)
        {
            var phaseCheck = phase.InputPath == input ? check : await BatchInputFile.ValidateAsync(phase.InputPath, validation, ct).ConfigureAwait(false);
            phaseCheck.ThrowIfInvalid();
            phase.CheckedInput = phaseCheck;
            engine = builder.Build();
            var totals = new ProgressTotals { Items = phaseCheck.Requests };
            var started = false;
            phase.Resumed = done =>
            {
                totals.Resumed = done;
                started = true;
            };
            var progress = ProgressDisplay.Start(engine.GetProgress, totals, settings.ProgressMode, null);
            await using (progress.ConfigureAwait(false))
            {
                signals.View = progress;
                try
                {
                    return await BatchJob.RunAsync(engine, phase, ct).ConfigureAwait(false);
                }
                catch (IOException ex) when (started)
                {
                    // Requests went out: exit 2 ("nothing was sent") would be false. What was written stays.
                    throw new RunInterruptedException($"{ex.Message.TrimEnd('.')}. Every result written before this is kept in {phase.OutputPath}; fix the cause (free disk space?) and run the same command to resume.", ex);
                }
                finally
                {
                    signals.View = null;
                }
            }
        }

        if (settings.Reduce is not null)
        {
            return await DocumentRun.MapReduceAsync(settings, job, RunPhaseAsync, costs.Prices, stop.Token).ConfigureAwait(false);
        }

        var result = await RunPhaseAsync(job, stop.Token).ConfigureAwait(false);
        var live = engine!.GetProgress();
        var skipped = settings.IsDocuments ? await DocumentRun.ReadSkippedAsync(Documents.DocumentManifest.PathFor(settings.OutputPath), CancellationToken.None).ConfigureAwait(false) : [];
        await WriteReportAsync(settings, result.Summary, costs.Prices, settings.IsDocuments ? DocumentRun.ForReport(skipped) : null).ConfigureAwait(false);
        if (!settings.Quiet)
        {
            SummaryPrinter.Print(result, settings.OutputPath, live: live);
            DocumentRun.WriteSkipped(skipped, skipped.Count, Documents.DocumentManifest.PathFor(settings.OutputPath), Console.Out);
        }

        if (RunCosts.BudgetStop(live, result) is { } budget)
        {
            CliApp.Error(budget);
            return CliApp.ExitItemsFailed;
        }

        if (JobOutcome.ExitCodeIfUnfinished(result) is { } unfinished)
        {
            return unfinished;
        }

        var mergeFailed = await MergeAsync(settings, input).ConfigureAwait(false);
        return result.FailedInOutput > 0 || mergeFailed > 0 ? CliApp.ExitItemsFailed : CliApp.ExitSuccess;
    }

    /// <summary>
    /// Writes summary.json and report.html unless --no-report; <paramref name="live"/> adds what only the live run knew.
    /// A report that cannot be written is said and left: the results are complete, and `llmbatch report` rebuilds it.
    /// </summary>
    internal static async Task WriteReportAsync(Settings settings, RunSummary? live, PriceTable? prices, IReadOnlyList<KeyValuePair<string, string>>? skippedInputs = null)
    {
        if (settings.NoReport)
        {
            return;
        }

        var directory = settings.ReportDir ?? Path.GetDirectoryName(Path.GetFullPath(settings.OutputPath))!;
        try
        {
            var files = await RunReport.WriteAsync(settings.OutputPath, directory, new RunReportOptions { LiveSummary = live, Prices = prices, SkippedInputs = skippedInputs }, CancellationToken.None).ConfigureAwait(false);
            if (!settings.Quiet)
            {
                Console.Error.WriteLine($"llmbatch: report {files.HtmlPath}, figures {files.SummaryJsonPath}");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CliApp.Error($"the report could not be written ({ex.Message}); `llmbatch report {settings.OutputPath}` rebuilds it.");
        }
    }

    /// <summary>With --merge, merges the finished output as `llmbatch merge` does (documents: one row per chunk); returns how many items failed.</summary>
    internal static async Task<long> MergeAsync(Settings settings, string input)
    {
        if (!settings.Merge)
        {
            return 0;
        }

        try
        {
            if (settings.IsDocuments)
            {
                return await MergeCommand.MergeDocumentsAsync(settings.OutputPath, Documents.DocumentManifest.PathFor(settings.OutputPath), MergeCommand.DefaultPrefix(settings.OutputPath), settings.Parquet, documentVectors: false, settings.Quiet ? TextWriter.Null : Console.Out, CancellationToken.None).ConfigureAwait(false);
            }

            var metadata = BatchInputConverter.MetadataPathFor(input);
            var mergeOptions = new BatchMergeOptions
            {
                OutputPrefix = MergeCommand.DefaultPrefix(settings.OutputPath),
                MetadataPath = File.Exists(metadata) ? metadata : null,
            };
            var merged = await MergeCommand.MergeAndPrintAsync(BatchOutputFile.ReadAsync(settings.OutputPath, CancellationToken.None), mergeOptions, settings.Parquet, settings.Quiet ? TextWriter.Null : Console.Out, CancellationToken.None).ConfigureAwait(false);
            return merged.Failed;
        }
        catch (IOException ex)
        {
            throw new RunInterruptedException($"merging the results failed: {ex.Message.TrimEnd('.')}. The results are complete in {settings.OutputPath}; the same command merges them again without sending anything.", ex);
        }
    }

    /// <summary>A price table that cannot be read is a usage error naming the flag, found before anything is sent.</summary>
    internal static PriceTable LoadPrices(string path)
    {
        try
        {
            return PriceTable.Load(path);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new BatchOptionsException([$"--prices: {ex.Message}"]);
        }
    }

    /// <summary>
    /// The report goes beside the output by default: one named summary.json or report.html there (the output, the
    /// input or the prepared requests) would be replaced by it, after the run had paid for every result. Refused up front.
    /// </summary>
    private static void CheckReportTargets(Settings settings)
    {
        if (settings.Merge)
        {
            MergeCommand.CheckTargets(MergeCommand.DefaultPrefix(settings.OutputPath), settings.OutputPath, settings.Input);
        }

        if (settings.NoReport)
        {
            return;
        }

        var directory = settings.ReportDir ?? Path.GetDirectoryName(Path.GetFullPath(settings.OutputPath))!;
        List<string> keep = [settings.OutputPath, settings.Input];
        if (settings.NeedsPreparing)
        {
            keep.Add(settings.PreparedRequestsPath);
            keep.Add(BatchInputConverter.MetadataPathFor(settings.PreparedRequestsPath));
        }

        if (RunReport.FindCollision(directory, keep) is { } collision)
        {
            throw new BatchOptionsException([$"{collision}; give --report-dir, --no-report or another --output."]);
        }
    }

    /// <summary>Turns text, CSV or JSONL items into the request file run sends, with their other columns beside it.</summary>
    private static async Task<string> PrepareAsync(Settings settings, CancellationToken cancellationToken)
    {
        var requests = settings.PreparedRequestsPath;
        if (FileIdentity.SameFile(requests, settings.Input))
        {
            throw new BatchOptionsException([$"The prepared requests would overwrite the input {settings.Input}: give another --output."]);
        }

        if (settings.IsDocuments)
        {
            var results = settings.Reduce is null ? settings.OutputPath : Documents.DocumentMapReduce.MapOutputPath(settings.OutputPath);
            var prepared = await DocumentRun.PrepareAsync(settings, settings.ToConversionOptions(), requests, results, settings.OutputPath, settings.ReportDir, settings.Quiet ? TextWriter.Null : Console.Error, cancellationToken).ConfigureAwait(false);
            return prepared.RequestsPath;
        }

        // Written again on every run: the same input and flags give the same lines, so a rerun resumes by custom_id.
        var report = await BatchInputConverter.ConvertFileAsync(settings.Input, requests, settings.ToConversionOptions(), cancellationToken).ConfigureAwait(false);
        if (!settings.Quiet)
        {
            Console.Error.WriteLine($"llmbatch: {PrepareCommand.Describe(report)}");
        }

        return requests;
    }
}
