namespace LlmBatch.Simulator;

/// <summary>
/// How the simulated provider behaves: where it listens, how fast and how long it answers, its rate limits,
/// its capacity and the faults it injects. Every property states its default; <see cref="Validate"/> checks them
/// all at once. A scenario file (<see cref="FromJsonFile"/>) sets the same properties by their camelCase names.
/// </summary>
public sealed class SimulatorOptions
{
    /// <summary>The address to bind (default <c>127.0.0.1</c>: loopback only). Use <c>0.0.0.0</c> to serve other machines.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The port to listen on (default 0: any free port, read it back from <see cref="SimulatorServer.BaseUrl"/>).</summary>
    public int Port { get; set; }

    /// <summary>
    /// The API key clients must send as <c>Authorization: Bearer KEY</c> or <c>api-key: KEY</c>, or null (default)
    /// to accept any key or none. A missing or wrong key then gets 401.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Seeds generated content, lengths, embeddings, jitter and faults (default 0). Same seed and requests, same behaviour.</summary>
    public long Seed { get; set; }

    /// <summary>The median time to first token (default 200 ms). Zero answers at once.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The sigma of the lognormal jitter applied to <see cref="Latency"/> (default 0.3; 0 for none).</summary>
    public double LatencyJitter { get; set; } = 0.3;

    /// <summary>The time to generate each output token, added after the first-token latency (default 2 ms).</summary>
    public TimeSpan PerToken { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>The mean completion length in tokens before <c>max_tokens</c> caps it (default 64).</summary>
    public int CompletionTokens { get; set; } = 64;

    /// <summary>How completion lengths spread around <see cref="CompletionTokens"/> (default <see cref="SimulatorLengthDistribution.Lognormal"/>).</summary>
    public SimulatorLengthDistribution CompletionDistribution { get; set; } = SimulatorLengthDistribution.Lognormal;

    /// <summary>
    /// The completion tokens charged at admission for a chat or text completion whose body sets neither
    /// <c>max_tokens</c> nor <c>max_completion_tokens</c> (default 256). Also caps the generated length for such requests.
    /// </summary>
    public int DefaultMaxTokens { get; set; } = 256;

    /// <summary>The length of embedding vectors when the request sets no <c>dimensions</c> (default 1536).</summary>
    public int EmbeddingDimensions { get; set; } = 1536;

    /// <summary>The model ids listed by <c>GET /v1/models</c> (default <c>gpt-4o-mini</c>, <c>text-embedding-3-small</c>). Any model is accepted in requests.</summary>
    public IList<string> Models { get; } = ["gpt-4o-mini", "text-embedding-3-small"];

    /// <summary>Requests per minute allowed per API key, or 0 (default) for no request limit.</summary>
    public int RequestsPerMinute { get; set; }

    /// <summary>Tokens per minute allowed per API key (prompt plus <c>max_tokens</c>, charged at admission), or 0 (default) for no token limit.</summary>
    public long TokensPerMinute { get; set; }

    /// <summary>
    /// The enforcement window: how many seconds' worth of the per-minute rate a key may spend at once (default 1).
    /// OpenAI enforces per-minute limits in short quanta ("60,000 requests/minute may be enforced as 1,000
    /// requests/second"), so 600 RPM admits about 10 requests in a burst, then one every 100 ms.
    /// </summary>
    public double BurstSeconds { get; set; } = 1;

    /// <summary>
    /// What the rate-limit headers describe (default <see cref="SimulatorHeaderScale.Minute"/>: the per-minute budget,
    /// as OpenAI's do, not the enforced window).
    /// </summary>
    public SimulatorHeaderScale HeaderScale { get; set; } = SimulatorHeaderScale.Minute;

    /// <summary>How the window is enforced (default <see cref="SimulatorWindowKind.Bucket"/>: a continuously refilled bucket).</summary>
    public SimulatorWindowKind WindowKind { get; set; } = SimulatorWindowKind.Bucket;

    /// <summary>
    /// The share of each limit a neighbour on the same key spends throughout the run (default 0): another team's job
    /// or a live service on the same organisation. Only the rest is left for this simulator's clients, and the
    /// per-minute headers show the neighbour's spend.
    /// </summary>
    public double NeighbourShare { get; set; }

    /// <summary>
    /// Whether to limit like Azure OpenAI (default false): fixed 10-second windows of one sixth of the per-minute
    /// limits, Azure's 429 body and its <c>x-ms-retry-after-ms</c> header.
    /// </summary>
    public bool Azure { get; set; }

    /// <summary>Requests processed at once at most, or 0 (default) for no bound. See <see cref="Overflow"/>.</summary>
    public int MaxInFlight { get; set; }

    /// <summary>What happens to a request past <see cref="MaxInFlight"/> (default <see cref="SimulatorOverflow.Queue"/>).</summary>
    public SimulatorOverflow Overflow { get; set; } = SimulatorOverflow.Queue;

    /// <summary>
    /// A GPU server's continuous batching, or 0 (default) for a per-token time independent of load. With a value S,
    /// every active sequence advances a token per decoding step, and a step takes
    /// <c>PerToken × (1 + SaturationGrowth × min(a, S) / S) × max(1, a / S)</c> for <c>a</c> active sequences: gently
    /// slower up to S (memory-bound), proportionally slower past it (compute-bound). Throughput against concurrency
    /// then has a knee at S. Combine with <see cref="MaxInFlight"/> (the slots) and <see cref="Overflow"/>.
    /// </summary>
    public int Saturation { get; set; }

    /// <summary>How much slower a decoding step is with <see cref="Saturation"/> active sequences than with one (default 0.3).</summary>
    public double SaturationGrowth { get; set; } = 0.3;

    /// <summary>The probability of answering 500 Internal Server Error (default 0).</summary>
    public double P500 { get; set; }

    /// <summary>The probability of answering 503 Service Unavailable (default 0).</summary>
    public double P503 { get; set; }

    /// <summary>The probability of answering 529 Overloaded (default 0).</summary>
    public double P529 { get; set; }

    /// <summary>The probability of answering 200 with a well-framed body whose JSON is cut in half (default 0).</summary>
    public double PTruncate { get; set; }

    /// <summary>The probability of resetting the connection without any response (default 0).</summary>
    public double PReset { get; set; }

    /// <summary>The probability of holding the request for <see cref="HangDuration"/> and then dropping the connection (default 0).</summary>
    public double PHang { get; set; }

    /// <summary>The probability of answering normally but <see cref="SlowFactor"/> times slower (default 0).</summary>
    public double PSlow { get; set; }

    /// <summary>How long a hung request is held before its connection is dropped (default 60 s).</summary>
    public TimeSpan HangDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How many times slower a slow request is (default 10).</summary>
    public double SlowFactor { get; set; } = 10;

    /// <summary>
    /// How long a Batch API batch takes from creation to <c>completed</c> (default 20 s): the provider's 24-hour window
    /// is scaled down to this, so <c>expires_at</c> is this long after <c>created_at</c>. Validation takes the first
    /// 5 %, processing the next 80 % (items finish at an even pace), finalizing the last 15 %.
    /// </summary>
    public TimeSpan BatchDuration { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long the Batch API calls that make or move data take (default 0): an upload and a batch creation answer this
    /// long after their effect (the file is stored, the batch created), as when a reply is lost on the way, so a client
    /// killed in between must find what it made; a file download sends its content in ten pieces spread over this time.
    /// Lists, retrieves, cancels and deletes answer at once.
    /// </summary>
    public TimeSpan BatchApiLatency { get; set; }

    /// <summary>
    /// The enqueued-token limit per API key and model (default 0: none): prompt tokens of the batches still validating,
    /// in progress or finalizing. A batch that would pass it fails at validation with <c>token_limit_exceeded</c>, as OpenAI's do.
    /// </summary>
    public long BatchEnqueuedTokens { get; set; }

    /// <summary>The probability that a batch fails validation although its file is valid (default 0).</summary>
    public double PBatchFail { get; set; }

    /// <summary>The probability that a batch expires before every item ran (default 0); see <see cref="BatchExpireUnrun"/>.</summary>
    public double PBatchExpire { get; set; }

    /// <summary>The share of an expiring batch's items that never run and end as <c>batch_expired</c> lines (default 0.1, rounded down).</summary>
    public double BatchExpireUnrun { get; set; } = 0.1;

    /// <summary>The probability that a batch item is answered 500 in the error file instead of its answer (default 0).</summary>
    public double PBatchItemError { get; set; }

    /// <summary>Whether Kestrel and the simulator log to the console (default false: a busy server must not flood the terminal).</summary>
    public bool LogToConsole { get; set; }

    /// <summary>The clock for latency, rate limits and hangs (default <see cref="TimeProvider.System"/>); tests inject a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks every setting and reports every problem at once.</summary>
    /// <exception cref="BatchOptionsException">One or more settings are invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Host)
            || !(Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || System.Net.IPAddress.TryParse(Host.Trim('[', ']'), out _)))
        {
            problems.Add($"Host must be an IP address or 'localhost' (was '{Host}').");
        }

        if (Port is < 0 or > 65535)
        {
            problems.Add($"Port must be between 0 and 65535 (was {Port}).");
        }

        if (ApiKey is { Length: 0 })
        {
            problems.Add("ApiKey must not be empty: leave it unset to accept any key.");
        }

        NonNegative(problems, nameof(Latency), Latency);
        NonNegative(problems, nameof(PerToken), PerToken);
        if (!(LatencyJitter >= 0 && LatencyJitter <= 3))
        {
            problems.Add($"LatencyJitter must be between 0 and 3 (was {LatencyJitter}).");
        }

        if (CompletionTokens < 1)
        {
            problems.Add($"CompletionTokens must be at least 1 (was {CompletionTokens}).");
        }

        if (!Enum.IsDefined(CompletionDistribution))
        {
            problems.Add($"CompletionDistribution {CompletionDistribution} is not defined.");
        }

        if (DefaultMaxTokens < 1)
        {
            problems.Add($"DefaultMaxTokens must be at least 1 (was {DefaultMaxTokens}).");
        }

        if (EmbeddingDimensions is < 1 or > 65536)
        {
            problems.Add($"EmbeddingDimensions must be between 1 and 65536 (was {EmbeddingDimensions}).");
        }

        if (Models.Count == 0 || Models.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add("Models must list at least one model id, none empty.");
        }

        if (RequestsPerMinute < 0)
        {
            problems.Add($"RequestsPerMinute must be 0 (no limit) or more (was {RequestsPerMinute}).");
        }

        if (TokensPerMinute < 0)
        {
            problems.Add($"TokensPerMinute must be 0 (no limit) or more (was {TokensPerMinute}).");
        }

        if (!(BurstSeconds > 0 && BurstSeconds <= 60))
        {
            problems.Add($"BurstSeconds must be more than 0 and at most 60 (was {BurstSeconds}).");
        }

        if (!Enum.IsDefined(HeaderScale))
        {
            problems.Add($"HeaderScale {HeaderScale} is not defined.");
        }

        if (!Enum.IsDefined(WindowKind))
        {
            problems.Add($"WindowKind {WindowKind} is not defined.");
        }

        if (!(NeighbourShare >= 0 && NeighbourShare <= 0.95))
        {
            problems.Add($"NeighbourShare must be between 0 and 0.95 (was {NeighbourShare}).");
        }

        if (Saturation < 0)
        {
            problems.Add($"Saturation must be 0 (off) or more (was {Saturation}).");
        }

        if (!(SaturationGrowth >= 0 && SaturationGrowth <= 100))
        {
            problems.Add($"SaturationGrowth must be between 0 and 100 (was {SaturationGrowth}).");
        }

        if (MaxInFlight < 0)
        {
            problems.Add($"MaxInFlight must be 0 (no bound) or more (was {MaxInFlight}).");
        }

        if (!Enum.IsDefined(Overflow))
        {
            problems.Add($"Overflow {Overflow} is not defined.");
        }

        Probability(problems, nameof(P500), P500);
        Probability(problems, nameof(P503), P503);
        Probability(problems, nameof(P529), P529);
        Probability(problems, nameof(PTruncate), PTruncate);
        Probability(problems, nameof(PReset), PReset);
        Probability(problems, nameof(PHang), PHang);
        Probability(problems, nameof(PSlow), PSlow);
        var total = P500 + P503 + P529 + PTruncate + PReset + PHang + PSlow;
        if (total > 1 + 1e-9)
        {
            problems.Add($"The fault probabilities add up to {total}; they must add up to at most 1.");
        }

        NonNegative(problems, nameof(HangDuration), HangDuration);
        if (!(SlowFactor >= 1 && SlowFactor <= 10_000))
        {
            problems.Add($"SlowFactor must be between 1 and 10000 (was {SlowFactor}).");
        }

        if (BatchDuration <= TimeSpan.Zero || BatchDuration > TimeSpan.FromDays(1))
        {
            problems.Add($"BatchDuration must be more than 0 and at most 24h (was {BatchDuration}).");
        }

        NonNegative(problems, nameof(BatchApiLatency), BatchApiLatency);
        if (BatchEnqueuedTokens < 0)
        {
            problems.Add($"BatchEnqueuedTokens must be 0 (no limit) or more (was {BatchEnqueuedTokens}).");
        }

        Probability(problems, nameof(PBatchFail), PBatchFail);
        Probability(problems, nameof(PBatchExpire), PBatchExpire);
        Probability(problems, nameof(BatchExpireUnrun), BatchExpireUnrun);
        Probability(problems, nameof(PBatchItemError), PBatchItemError);
        if (PBatchFail + PBatchExpire > 1 + 1e-9)
        {
            problems.Add($"PBatchFail and PBatchExpire add up to {PBatchFail + PBatchExpire}; they must add up to at most 1.");
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

    /// <summary>
    /// Reads a scenario file: a JSON object whose properties are this class's properties in camelCase
    /// (<c>"requestsPerMinute": 600</c>, <c>"latency": "400ms"</c>, <c>"overflow": "reject"</c>). Durations are strings
    /// with their unit, such as <c>"400ms"</c>, <c>"1.5s"</c>, <c>"2m"</c> (a bare number other than 0 is refused: it
    /// meant milliseconds once, and seconds everywhere else). Unknown properties are errors.
    /// </summary>
    /// <param name="path">The scenario file.</param>
    /// <returns>Options holding the defaults overridden by the file; not yet validated.</returns>
    /// <exception cref="BatchOptionsException">The file is not valid JSON or names unknown or mistyped properties; the problems name the file and property.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SimulatorOptions FromJsonFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var options = new SimulatorOptions();
        ScenarioFile.Apply(File.ReadAllBytes(path), path, options);
        return options;
    }

    /// <summary>Applies a scenario given as JSON text to these options (see <see cref="FromJsonFile"/> for the format).</summary>
    /// <param name="json">The scenario: a JSON object.</param>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="BatchOptionsException">The JSON is invalid or names unknown or mistyped properties.</exception>
    public SimulatorOptions ApplyJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        ScenarioFile.Apply(System.Text.Encoding.UTF8.GetBytes(json), "scenario", this);
        return this;
    }

    private static void NonNegative(List<string> problems, string name, TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            problems.Add($"{name} must not be negative (was {value}).");
        }
    }

    private static void Probability(List<string> problems, string name, double value)
    {
        if (!(value >= 0 && value <= 1))
        {
            problems.Add($"{name} must be a probability between 0 and 1 (was {value}).");
        }
    }
}
