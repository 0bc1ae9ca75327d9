using System.ComponentModel;
using System.Globalization;
using System.Runtime.InteropServices;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Simulator;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary>
/// <c>llmbatch simulate</c>: runs the simulated provider until Ctrl+C or SIGTERM, then prints what it served.
/// Its first stdout line is <c>Simulator listening on URL</c>, which scripts and tests parse.
/// </summary>
internal sealed class SimulateCommand : AsyncCommand<SimulateCommand.Settings>
{
    /// <summary>The flags of <c>llmbatch simulate</c>; each overrides the scenario file, which overrides the defaults.</summary>
    internal sealed class Settings : CommandSettings
    {
        [CommandOption("--scenario <FILE>")]
        [Description("A JSON file of settings (camelCase or kebab-case names, see docs/simulator.md); flags override it.")]
        public string? Scenario { get; init; }

        [CommandOption("--host <ADDRESS>")]
        [Description("Address to bind. Default 127.0.0.1 (loopback only); 0.0.0.0 serves other machines.")]
        public string? Host { get; init; }

        [CommandOption("--port <PORT>")]
        [Description("Port to listen on. Default 8089; 0 picks a free port.")]
        [TypeConverter(typeof(NumberConverter<int>))]
        public int? Port { get; init; }

        [CommandOption("--api-key-env <VAR>")]
        [Description("Require the API key held in this environment variable (401 otherwise). Default: accept any key.")]
        public string? ApiKeyEnv { get; init; }

        [CommandOption("--seed <N>")]
        [Description("Seed for content, lengths, jitter and faults. Default 0.")]
        [TypeConverter(typeof(NumberConverter<long>))]
        public long? Seed { get; init; }

        [CommandOption("--latency <DURATION>")]
        [Description("Median time to first token, e.g. 400ms. Default 200ms.")]
        [TypeConverter(typeof(UnitDurationConverter))]
        public TimeSpan? Latency { get; init; }

        [CommandOption("--latency-jitter <SIGMA>")]
        [Description("Sigma of the lognormal jitter on the latency. Default 0.3.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? LatencyJitter { get; init; }

        [CommandOption("--per-token <DURATION>")]
        [Description("Time per output token. Default 2ms.")]
        [TypeConverter(typeof(UnitDurationConverter))]
        public TimeSpan? PerToken { get; init; }

        [CommandOption("--completion-tokens <N>")]
        [Description("Mean completion length before max_tokens caps it. Default 64.")]
        [TypeConverter(typeof(NumberConverter<int>))]
        public int? CompletionTokens { get; init; }

        [CommandOption("--completion-distribution <KIND>")]
        [Description("fixed, uniform, exponential or lognormal. Default lognormal.")]
        [TypeConverter(typeof(ChoiceConverter<SimulatorLengthDistribution>))]
        public SimulatorLengthDistribution? CompletionDistribution { get; init; }

        [CommandOption("--default-max-tokens <N>")]
        [Description("Completion tokens charged when a request sets no max_tokens. Default 256.")]
        [TypeConverter(typeof(NumberConverter<int>))]
        public int? DefaultMaxTokens { get; init; }

        [CommandOption("--embedding-dimensions <N>")]
        [Description("Embedding length when the request sets no dimensions. Default 1536.")]
        [TypeConverter(typeof(NumberConverter<int>))]
        public int? EmbeddingDimensions { get; init; }

        [CommandOption("--rpm <N>")]
        [Description("Requests per minute per API key; 0 for no limit. Default 0.")]
        [TypeConverter(typeof(NumberConverter<int>))]
        public int? Rpm { get; init; }

        [CommandOption("--tpm <N>")]
        [Description("Tokens per minute per API key (prompt + max_tokens at admission); 0 for no limit. Default 0.")]
        [TypeConverter(typeof(NumberConverter<long>))]
        public long? Tpm { get; init; }

        [CommandOption("--burst-seconds <S>")]
        [Description("The enforcement window: seconds' worth of the per-minute rate that may be spent at once. Default 1.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? BurstSeconds { get; init; }

        [CommandOption("--header-scale <SCALE>")]
        [Description("What x-ratelimit-* headers describe: minute (the per-minute budget, as OpenAI's do) or window (the enforced bucket). Default minute.")]
        [TypeConverter(typeof(ChoiceConverter<SimulatorHeaderScale>))]
        public SimulatorHeaderScale? HeaderScale { get; init; }

        [CommandOption("--window-kind <KIND>")]
        [Description("How the window is enforced: bucket (refilled continuously) or fixed (windows counted from the clock). Default bucket.")]
        [TypeConverter(typeof(ChoiceConverter<SimulatorWindowKind>))]
        public SimulatorWindowKind? WindowKind { get; init; }

        [CommandOption("--neighbour-share <P>")]
        [Description("Share of each limit another client on the same key spends throughout (0 to 0.95). Default 0.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? NeighbourShare { get; init; }

        [CommandOption("--saturation <N>")]
        [Description("GPU server: continuous batching whose per-token time grows with active sequences, past N in proportion; 0 for off. Default 0.")]
        [TypeConverter(typeof(NumberConverter<int>))]
        public int? Saturation { get; init; }

        [CommandOption("--saturation-growth <G>")]
        [Description("With --saturation: how much slower a step is at N active sequences than at one. Default 0.3.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? SaturationGrowth { get; init; }

        [CommandOption("--azure")]
        [Description("Limit like Azure OpenAI: 10-second windows, Azure's 429 body and headers.")]
        public bool Azure { get; init; }

        [CommandOption("--max-in-flight <N>")]
        [Description("Requests processed at once at most; 0 for no bound. Default 0.")]
        [TypeConverter(typeof(NumberConverter<int>))]
        public int? MaxInFlight { get; init; }

        [CommandOption("--overflow <MODE>")]
        [Description("Past --max-in-flight: queue (wait for a slot, vLLM), reject (503 at once, Ollama) or reject-429 (429 without headers, TGI). Default queue.")]
        [TypeConverter(typeof(ChoiceConverter<SimulatorOverflow>))]
        public SimulatorOverflow? Overflow { get; init; }

        [CommandOption("--p-500 <P>")]
        [Description("Probability of a 500. Default 0.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? P500 { get; init; }

        [CommandOption("--p-503 <P>")]
        [Description("Probability of a 503. Default 0.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? P503 { get; init; }

        [CommandOption("--p-529 <P>")]
        [Description("Probability of a 529 (overloaded). Default 0.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? P529 { get; init; }

        [CommandOption("--p-truncate <P>")]
        [Description("Probability of a 200 whose JSON body is cut in half. Default 0.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? PTruncate { get; init; }

        [CommandOption("--p-reset <P>")]
        [Description("Probability of dropping the connection without a response. Default 0.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? PReset { get; init; }

        [CommandOption("--p-hang <P>")]
        [Description("Probability of holding the request for --hang-duration, then dropping it. Default 0.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? PHang { get; init; }

        [CommandOption("--p-slow <P>")]
        [Description("Probability of answering --slow-factor times slower. Default 0.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? PSlow { get; init; }

        [CommandOption("--hang-duration <DURATION>")]
        [Description("How long a hung request is held. Default 60s.")]
        [TypeConverter(typeof(UnitDurationConverter))]
        public TimeSpan? HangDuration { get; init; }

        [CommandOption("--slow-factor <X>")]
        [Description("Latency multiplier of a slow request. Default 10.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? SlowFactor { get; init; }

        [CommandOption("--batch-duration <DURATION>")]
        [Description("How long a Batch API batch takes from creation to completed; the 24h window is scaled to it. Default 20s.")]
        [TypeConverter(typeof(UnitDurationConverter))]
        public TimeSpan? BatchDuration { get; init; }

        [CommandOption("--batch-api-latency <DURATION>")]
        [Description("Delay of the answer to an upload or a batch creation (after its effect); downloads are spread over it. Default 0.")]
        [TypeConverter(typeof(UnitDurationConverter))]
        public TimeSpan? BatchApiLatency { get; init; }

        [CommandOption("--batch-enqueued-tokens <N>")]
        [Description("Enqueued-token limit per key and model; a batch past it fails with token_limit_exceeded. Default 0 (none).")]
        [TypeConverter(typeof(NumberConverter<long>))]
        public long? BatchEnqueuedTokens { get; init; }

        [CommandOption("--p-batch-fail <P>")]
        [Description("Probability that a batch fails validation. Default 0.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? PBatchFail { get; init; }

        [CommandOption("--p-batch-expire <P>")]
        [Description("Probability that a batch expires with --batch-expire-unrun of its items never run. Default 0.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? PBatchExpire { get; init; }

        [CommandOption("--batch-expire-unrun <SHARE>")]
        [Description("Share of an expiring batch's items that never run. Default 0.1.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? BatchExpireUnrun { get; init; }

        [CommandOption("--p-batch-item-error <P>")]
        [Description("Probability that a batch item is answered 500 in the error file. Default 0.")]
        [TypeConverter(typeof(NumberConverter<double>))]
        public double? PBatchItemError { get; init; }

        [CommandOption("--log")]
        [Description("Log requests to the console (off by default).")]
        public bool Log { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = BuildOptions(settings);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var sigterm = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        try
        {
            SimulatorServer server;
            try
            {
                server = await SimulatorServer.StartAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                CliApp.Error($"cannot listen on {options.Host}:{options.Port}: {ex.Message}");
                return CliApp.ExitUsage;
            }

            await using (server.ConfigureAwait(false))
            {
                Console.Out.WriteLine($"Simulator listening on {server.BaseUrl}");
                Console.Out.Flush();
                Console.Error.WriteLine(Describe(options));
                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C or SIGTERM: the normal way to end a simulator.
                }

                PrintStats(server.GetStats());
            }
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        return CliApp.ExitSuccess;
    }

    /// <summary>Defaults, then the scenario file, then flags; every bad value is reported together.</summary>
    internal static SimulatorOptions BuildOptions(Settings s)
    {
        var options = new SimulatorOptions { Port = 8089 };
        if (s.Scenario is not null)
        {
            if (!File.Exists(s.Scenario))
            {
                throw new FileNotFoundException($"Scenario file not found: {s.Scenario}");
            }

            ScenarioFile.Apply(File.ReadAllBytes(s.Scenario), s.Scenario, options);
        }

        var problems = new List<string>();
        Set(s.Host, v => options.Host = v);
        Set(s.Port, v => options.Port = v);
        Set(s.Seed, v => options.Seed = v);
        Set(s.LatencyJitter, v => options.LatencyJitter = v);
        Set(s.CompletionTokens, v => options.CompletionTokens = v);
        Set(s.DefaultMaxTokens, v => options.DefaultMaxTokens = v);
        Set(s.EmbeddingDimensions, v => options.EmbeddingDimensions = v);
        Set(s.Rpm, v => options.RequestsPerMinute = v);
        Set(s.Tpm, v => options.TokensPerMinute = v);
        Set(s.BurstSeconds, v => options.BurstSeconds = v);
        Set(s.NeighbourShare, v => options.NeighbourShare = v);
        Set(s.Saturation, v => options.Saturation = v);
        Set(s.SaturationGrowth, v => options.SaturationGrowth = v);
        Set(s.HeaderScale, v => options.HeaderScale = v);
        Set(s.WindowKind, v => options.WindowKind = v);
        options.Azure |= s.Azure;
        Set(s.MaxInFlight, v => options.MaxInFlight = v);
        Set(s.P500, v => options.P500 = v);
        Set(s.P503, v => options.P503 = v);
        Set(s.P529, v => options.P529 = v);
        Set(s.PTruncate, v => options.PTruncate = v);
        Set(s.PReset, v => options.PReset = v);
        Set(s.PHang, v => options.PHang = v);
        Set(s.PSlow, v => options.PSlow = v);
        Set(s.SlowFactor, v => options.SlowFactor = v);
        Set(s.BatchEnqueuedTokens, v => options.BatchEnqueuedTokens = v);
        Set(s.PBatchFail, v => options.PBatchFail = v);
        Set(s.PBatchExpire, v => options.PBatchExpire = v);
        Set(s.BatchExpireUnrun, v => options.BatchExpireUnrun = v);
        Set(s.PBatchItemError, v => options.PBatchItemError = v);
        options.LogToConsole |= s.Log;
        Set(s.Latency, v => options.Latency = v);
        Set(s.PerToken, v => options.PerToken = v);
        Set(s.HangDuration, v => options.HangDuration = v);
        Set(s.BatchDuration, v => options.BatchDuration = v);
        Set(s.BatchApiLatency, v => options.BatchApiLatency = v);
        Set(s.CompletionDistribution, v => options.CompletionDistribution = v);
        Set(s.Overflow, v => options.Overflow = v);
        if (s.ApiKeyEnv is not null)
        {
            var key = Environment.GetEnvironmentVariable(s.ApiKeyEnv);
            if (string.IsNullOrEmpty(key))
            {
                problems.Add($"--api-key-env: the environment variable {s.ApiKeyEnv} is not set.");
            }
            else
            {
                options.ApiKey = key;
            }
        }

        try
        {
            options.Validate();
        }
        catch (BatchOptionsException ex)
        {
            problems.AddRange(ex.Problems);
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
        return options;
    }

    private static void Set<T>(T? value, Action<T> set)
        where T : struct
    {
        if (value is { } v)
        {
            set(v);
        }
    }

    private static void Set(string? value, Action<string> set)
    {
        if (value is not null)
        {
            set(value);
        }
    }

    private static string Describe(SimulatorOptions o)
    {
        var limits = o.RequestsPerMinute == 0 && o.TokensPerMinute == 0
            ? "no rate limits"
            : FormattableString.Invariant($"{(o.Azure ? "Azure-style " : "")}limits {o.RequestsPerMinute} RPM / {o.TokensPerMinute} TPM per key")
                + (o.Azure ? "" : FormattableString.Invariant($" enforced over {o.BurstSeconds:0.###} s ({ChoiceConverter<SimulatorWindowKind>.Name(o.WindowKind)}), headers per {(o.HeaderScale == SimulatorHeaderScale.Minute ? "minute" : "window")}"))
                + (o.NeighbourShare > 0 ? FormattableString.Invariant($", a neighbour spending {o.NeighbourShare:P0}") : "");
        var faults = o.P500 + o.P503 + o.P529 + o.PTruncate + o.PReset + o.PHang + o.PSlow;
        return FormattableString.Invariant($"latency {o.Latency.TotalMilliseconds:0}ms + {o.PerToken.TotalMilliseconds:0.##}ms/token, {limits}, fault probability {faults:0.###}, ")
            + FormattableString.Invariant($"capacity {(o.MaxInFlight == 0 ? "unbounded" : $"{o.MaxInFlight} ({ChoiceConverter<SimulatorOverflow>.Name(o.Overflow)})")}")
            + (o.Saturation > 0 ? FormattableString.Invariant($", continuous batching saturating at {o.Saturation} (growth {o.SaturationGrowth:0.##})") : "")
            + FormattableString.Invariant($", batches take {o.BatchDuration.TotalSeconds:0.##}s{(o.BatchEnqueuedTokens > 0 ? $" (enqueued-token limit {o.BatchEnqueuedTokens})" : "")}. Ctrl+C to stop.");
    }

    private static void PrintStats(SimulatorStats stats)
    {
        // Request paths come from clients: escaped for the terminal and for markup.
        var console = Terminal.TerminalOutput.CreateOutConsole();
        var table = new Table().Title("Simulator served").AddColumn("Figure").AddColumn(new TableColumn("Value").RightAligned());
        table.AddRow("elapsed", stats.Elapsed.ToString(@"hh\:mm\:ss\.f", CultureInfo.InvariantCulture));
        table.AddRow("requests", N(stats.TotalRequests));
        foreach (var (endpoint, statuses) in stats.Requests)
        {
            foreach (var (status, count) in statuses)
            {
                table.AddRow(Terminal.TerminalOutput.Markup($"  {endpoint} {(status == 0 ? "dropped" : status.ToString(CultureInfo.InvariantCulture))}"), N(count));
            }
        }

        table.AddRow("429 (requests)", N(stats.RateLimitedRequests));
        table.AddRow("429 (tokens)", N(stats.RateLimitedTokens));
        table.AddRow("503 (capacity)", N(stats.CapacityRejected));
        foreach (var (kind, count) in stats.Faults)
        {
            table.AddRow($"fault {kind}", N(count));
        }

        table.AddRow("max in flight", N(stats.MaxInFlight));
        table.AddRow("tokens admitted", N(stats.TokensAdmitted));
        table.AddRow("prompt tokens", N(stats.PromptTokens));
        table.AddRow("completion tokens", N(stats.CompletionTokens));
        table.AddRow("duplicate successes", N(stats.DuplicateSuccesses));
        var b = stats.Batches;
        if (b.FilesUploaded + b.BatchesCreated > 0)
        {
            table.AddRow("files uploaded", N(b.FilesUploaded));
            table.AddRow("  uploaded twice", N(b.DuplicateUploads));
            table.AddRow("batches created", N(b.BatchesCreated));
            table.AddRow("  created twice", N(b.DuplicateBatches));
            table.AddRow("  token_limit_exceeded", N(b.TokenLimitRejected));
            table.AddRow("  completed / failed / expired / cancelled", $"{N(b.Completed)} / {N(b.Failed)} / {N(b.Expired)} / {N(b.Cancelled)}");
            table.AddRow("batch items answered", N(b.ItemsAnswered));
            table.AddRow("  with an error line", N(b.ItemErrors));
        }
        console.Write(table);

        static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
    }
}
