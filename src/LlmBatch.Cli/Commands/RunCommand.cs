using System.ComponentModel;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Cli.Progress;
using LlmBatch.Cli.Telemetry;
using LlmBatch.Reporting;
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
        [Description("Requests in flight at most (default 256).")]
        public int? MaxConcurrency { get; init; }

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
        [Description("JSON price table overriding the built-in one, for the report's cost figures.")]
        public string? Prices { get; init; }

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
        [Description("With --merge: also write the embeddings as PREFIX.parquet (custom_id, embedding list<float>).")]
        public bool Parquet { get; init; }

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
            if (Progress is not null && !TryParseProgress(Progress, out _))
            {
                problems.Add($"--progress: '{Progress}' must be auto, rich, plain or none");
            }

            if (OtlpEndpoint is not null && !Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out _))
            {
                problems.Add($"--otlp-endpoint: '{UrlRedaction.Redact(OtlpEndpoint)}' is not a URL");
            }

            CliValues.CheckRange(problems, "--prometheus-port", PrometheusPort, 1, 65535);

            if (Parquet && !Merge)
            {
                problems.Add("--parquet needs --merge (or run `llmbatch merge RESULTS --parquet` afterwards)");
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

        /// <summary>The <c>--max-response-bytes</c> cap, or null for the provider's default.</summary>
        internal long? MaxResponseBytesValue => CliValues.TryParseSize(MaxResponseBytes, out var bytes) ? bytes : null;

        internal ProgressMode ProgressMode => Quiet ? ProgressMode.None : TryParseProgress(Progress, out var mode) ? mode : ProgressMode.Auto;

        internal static bool TryParseProgress(string? text, out ProgressMode mode)
        {
            mode = ProgressMode.Auto;
            return text is null || Enum.TryParse(text, ignoreCase: true, out mode);
        }

        internal string OutputPath => Output ?? DefaultOutput(Input);

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
            var dir = Path.GetDirectoryName(input) ?? "";
            var stem = Path.GetFileNameWithoutExtension(input);
            return Path.Combine(dir, stem + ".results.jsonl");
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToBatchOptions();
        options.Validate();
        var prices = settings.Prices is null ? null : LoadPrices(settings.Prices);
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
        using var setup = ProviderSetup.Create(settings.BaseUrl, settings.ApiKeyEnv, check.ByEndpoint, settings.MaxResponseBytesValue);
        var provider = setup.Handler;
        if (!settings.Quiet)
        {
            Console.Error.WriteLine($"llmbatch: {check.Requests:N0} request(s); {setup.Description}");
        }

        using var telemetry = TelemetrySetup.Start(settings.Otlp || settings.OtlpEndpoint is not null, settings.OtlpEndpoint is null ? null : new Uri(settings.OtlpEndpoint), settings.PrometheusPort);
        using var loggers = CliLogging.Create(settings.Verbose);
        var engine = new BatchEngineBuilder(provider).WithOptions(options).WithLoggerFactory(loggers).Build();
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
        job.CheckedInput = check;
        var totals = new ProgressTotals { Items = check.Requests };
        var started = false;
        job.Resumed = done =>
        {
            totals.Resumed = done;
            started = true;
        };

        BatchJobResult result;
        var progress = ProgressDisplay.Start(engine.GetProgress, totals, settings.ProgressMode, null);
        await using (progress.ConfigureAwait(false))
        {
            signals.View = progress;
            try
            {
                result = await BatchJob.RunAsync(engine, job, stop.Token).ConfigureAwait(false);
            }
            catch (IOException ex) when (started)
            {
                // Requests went out: exit 2 ("nothing was sent") would be false. What was written stays.
                throw new RunInterruptedException($"{ex.Message.TrimEnd('.')}. Every result written before this is kept in {settings.OutputPath}; fix the cause (free disk space?) and run the same command to resume.", ex);
            }
            finally
            {
                signals.View = null;
            }
        }

        if (!settings.NoReport)
        {
            var directory = settings.ReportDir ?? Path.GetDirectoryName(Path.GetFullPath(settings.OutputPath))!;
            try
            {
                var files = await RunReport.WriteAsync(settings.OutputPath, directory, new RunReportOptions { LiveSummary = result.Summary, Prices = prices }, CancellationToken.None).ConfigureAwait(false);
                if (!settings.Quiet)
                {
                    Console.Error.WriteLine($"llmbatch: report {files.HtmlPath}, figures {files.SummaryJsonPath}");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The results are complete; a report is rebuilt from them at any time.
                CliApp.Error($"the report could not be written ({ex.Message}); `llmbatch report {settings.OutputPath}` rebuilds it.");
            }
        }

        if (!settings.Quiet)
        {
            SummaryPrinter.Print(result, settings.OutputPath);
        }

        if (result.Interrupted)
        {
            return CliApp.ExitInterrupted;
        }

        var mergeFailed = 0L;
        if (settings.Merge)
        {
            var metadata = BatchInputConverter.MetadataPathFor(input);
            var mergeOptions = new BatchMergeOptions
            {
                OutputPrefix = MergeCommand.DefaultPrefix(settings.OutputPath),
                MetadataPath = File.Exists(metadata) ? metadata : null,
            };
            try
            {
                var merged = await MergeCommand.MergeAndPrintAsync(BatchOutputFile.ReadAsync(settings.OutputPath, CancellationToken.None), mergeOptions, settings.Parquet, settings.Quiet ? TextWriter.Null : Console.Out, CancellationToken.None).ConfigureAwait(false);
                mergeFailed = merged.Failed;
            }
            catch (IOException ex)
            {
                throw new RunInterruptedException($"merging the results failed: {ex.Message.TrimEnd('.')}. The results are complete in {settings.OutputPath}; the same command merges them again without sending anything.", ex);
            }
        }

        return result.FailedInOutput > 0 || mergeFailed > 0 ? CliApp.ExitItemsFailed : CliApp.ExitSuccess;
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

        // Written again on every run: the same input and flags give the same lines, so a rerun resumes by custom_id.
        var report = await BatchInputConverter.ConvertFileAsync(settings.Input, requests, settings.ToConversionOptions(), cancellationToken).ConfigureAwait(false);
        if (!settings.Quiet)
        {
            Console.Error.WriteLine($"llmbatch: {PrepareCommand.Describe(report)}");
        }

        return requests;
    }
}
