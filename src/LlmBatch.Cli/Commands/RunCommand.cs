using System.ComponentModel;
using LlmBatch.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary><c>llmbatch run</c>: a Batch API file through an endpoint, resumable, at the provider's limit.</summary>
internal sealed class RunCommand : AsyncCommand<RunCommand.Settings>
{
    /// <summary>The options of <c>llmbatch run</c>.</summary>
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<INPUT>")]
        [Description("Batch API JSONL input: {\"custom_id\",\"method\",\"url\",\"body\"} per line.")]
        public string Input { get; init; } = "";

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
        [Description("Fixed timeout per attempt, e.g. 30s (default: adaptive, 4x the p95 latency of similar requests, 5s..10m).")]
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

        [CommandOption("--grace <DURATION>")]
        [Description("After Ctrl+C, how long requests in flight may finish (default 10s).")]
        public string? Grace { get; init; }

        public override ValidationResult Validate()
        {
            var problems = new List<string>();
            if (AttemptTimeout is not null && !CliValues.TryParseDuration(AttemptTimeout, out _))
            {
                problems.Add($"--attempt-timeout: '{AttemptTimeout}' is not a duration (e.g. 30s, 500ms, 2m)");
            }

            if (ItemDeadline is not null && !CliValues.TryParseDuration(ItemDeadline, out _))
            {
                problems.Add($"--item-deadline: '{ItemDeadline}' is not a duration (e.g. 10m)");
            }

            if (Grace is not null && !CliValues.TryParseDuration(Grace, out _))
            {
                problems.Add($"--grace: '{Grace}' is not a duration (e.g. 10s)");
            }

            if (BaseUrl is not null && !(Uri.TryCreate(BaseUrl, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps)))
            {
                problems.Add($"--base-url: '{BaseUrl}' is not an http(s) URL");
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

            return options;
        }

        internal string OutputPath => Output ?? DefaultOutput(Input);

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

        using var stop = new CancellationTokenSource();
        using var signals = StopSignals.Register(stop);
        var (provider, description) = ProviderSetup.Create(settings.BaseUrl, settings.ApiKeyEnv);
        using var disposeProvider = provider as IDisposable;
        Console.Error.WriteLine($"llmbatch: {description}");
        var engine = new BatchEngineBuilder(provider).WithOptions(options).Build();
        var job = new BatchJobOptions
        {
            InputPath = settings.Input,
            OutputPath = settings.OutputPath,
            RetryFailed = settings.RetryFailed,
            PreserveOrder = settings.PreserveOrder,
        };
        if (CliValues.TryParseDuration(settings.Grace, out var grace))
        {
            job.ShutdownGracePeriod = grace;
        }

        var result = await BatchJob.RunAsync(engine, job, stop.Token).ConfigureAwait(false);
        SummaryPrinter.Print(result, settings.OutputPath);
        if (result.Interrupted)
        {
            return CliApp.ExitInterrupted;
        }

        return result.FailedInOutput > 0 ? CliApp.ExitItemsFailed : CliApp.ExitSuccess;
    }
}
