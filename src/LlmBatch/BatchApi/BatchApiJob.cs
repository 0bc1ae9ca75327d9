using LlmBatch.Input;

namespace LlmBatch.BatchApi;

/// <summary>
/// Runs an input file through the provider's Batch API into an output file, with the same output and guarantees as
/// <see cref="BatchJob"/>: the input is split into batch files within the provider's limits, uploaded, run as batches
/// (in waves under the enqueued-token limit), polled with backoff, and their output and error files streamed into the
/// output, exactly one line per custom_id. Every file and batch id is written to <c>OUTPUT.batches.json</c> before the
/// next step, so a rerun after Ctrl+C, kill -9 or a reboot continues polling what exists and uploads nothing twice.
/// In <see cref="BatchApiMode.Auto"/> the <see cref="BatchPlanner"/> sends online what fits a deadline.
/// </summary>
/// <example>
/// <code>
/// var job = new BatchApiJob(new BatchApiJobOptions
/// {
///     InputPath = "requests.jsonl", OutputPath = "results.jsonl",
///     BaseUrl = new Uri("https://api.openai.com/v1"), ApiKey = Environment.GetEnvironmentVariable("OPENAI_API_KEY"),
/// });
/// BatchApiJobResult result = await job.RunAsync();
/// </code>
/// </example>
public sealed class BatchApiJob : IDisposable
{
    private readonly BatchApiRun _run;

    /// <summary>Creates the job; nothing happens until <see cref="RunAsync"/> or <see cref="PlanAsync"/>.</summary>
    /// <param name="options">What to run where; validated when the job starts.</param>
    public BatchApiJob(BatchApiJobOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _run = new BatchApiRun(options);
    }

    /// <summary>The options the job runs with.</summary>
    public BatchApiJobOptions Options { get; }

    /// <summary>The state file that records the job's files and batches (<c>OUTPUT.batches.json</c>).</summary>
    public string StatePath => _run.StatePath;

    /// <summary>
    /// Runs the job until every item has its line, or until <paramref name="cancellationToken"/> asks it to stop: then
    /// batches keep running on the provider, and the same call later continues (or <see cref="CancelAsync"/> stops them).
    /// </summary>
    /// <param name="cancellationToken">Stops the run; what is done stays done.</param>
    /// <returns>What the run did.</returns>
    /// <exception cref="BatchInputException">The input is invalid, or the state file unreadable; nothing was sent.</exception>
    /// <exception cref="BatchApiException">The provider refused a Files or Batches API call for good.</exception>
    /// <exception cref="BatchAuthenticationException">The provider refused the key.</exception>
    /// <exception cref="IOException">Another run works on the same output.</exception>
    public Task<BatchApiJobResult> RunAsync(CancellationToken cancellationToken = default) => _run.RunAsync(cancellationToken);

    /// <summary>
    /// The plan for what is left (requests, online time at the limits, batch turnaround, the cost of each mode, the
    /// choice), without sending anything or writing any file: what <c>--dry-run</c> prints.
    /// </summary>
    /// <param name="cancellationToken">Stops the count.</param>
    /// <returns>The plan.</returns>
    public Task<BatchPlan> PlanAsync(CancellationToken cancellationToken = default) => _run.PlanAsync(cancellationToken);

    /// <summary>A snapshot of the run under way, for progress displays; cheap, safe from any thread.</summary>
    /// <returns>The snapshot.</returns>
    public BatchApiProgress GetProgress() => _run.Progress();

    /// <summary>The job's batches as the provider sees them now (from the state file beside the output); changes nothing.</summary>
    /// <param name="cancellationToken">Stops the calls.</param>
    /// <returns>One entry per chunk (batch file) of the job.</returns>
    public Task<IReadOnlyList<BatchApiChunkProgress>> ListAsync(CancellationToken cancellationToken = default) => _run.ListAsync(cancel: false, cancellationToken);

    /// <summary>
    /// Cancels the job's batches that are still validating or in progress. Their finished items stay on the provider;
    /// a later <see cref="RunAsync"/> merges them and submits the rest again.
    /// </summary>
    /// <param name="cancellationToken">Stops the calls.</param>
    /// <returns>The batches as they are after the cancel.</returns>
    /// <exception cref="IOException">A run of the job is under way: stop it first.</exception>
    public Task<IReadOnlyList<BatchApiChunkProgress>> CancelAsync(CancellationToken cancellationToken = default) => _run.ListAsync(cancel: true, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _run.Dispose();
}
