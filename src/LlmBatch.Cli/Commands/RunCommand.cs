using LlmBatch.BatchApi;
using LlmBatch.Cli.Cost;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Cli.Telemetry;
using LlmBatch.Input;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary>
/// <c>llmbatch run</c>: a Batch API file through an endpoint, resumable, at the provider's limit. A thin shell: the
/// flags (<see cref="RunSettings"/>, mapped by <see cref="RunOptionsMapping"/>), the input prepared and checked
/// (<see cref="RunInput"/>), costs, the provider and the engine; then <see cref="OnlineRun"/> or <see cref="BatchModeRun"/>
/// runs it, and <see cref="RunOutputs"/> writes the report and merges.
/// </summary>
internal sealed class RunCommand : AsyncCommand<RunSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, RunSettings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToBatchOptions();
        options.Validate();
        RunOutputs.CheckTargets(settings);

        // Checked before the input, so that a mistake in it costs no time.
        var endpointEntries = settings.Endpoints is { } endpointsFile ? EndpointsFile.Read(endpointsFile) : null;

        using var stop = new CancellationTokenSource();
        using var signals = StopSignals.Register(stop);
        var validation = settings.ToValidationOptions();

        // Checked here, before the provider is chosen (the file's endpoints decide it); the job reuses this check.
        var input = settings.NeedsPreparing ? await RunInput.PrepareAsync(settings, stop.Token).ConfigureAwait(false) : settings.Input;
        // The same pass counts the repeated bodies for deduplication: the file is read once for both.
        using var repeats = RunCosts.RepeatCounterFor(settings);
        var check = await BatchInputFile.ValidateAsync(input, validation, repeats, stop.Token).ConfigureAwait(false);
        check.ThrowIfInvalid();

        // Prices, --max-cost, dedupe and --cache; --dry-run prints the estimate, and online stops there (batch and
        // auto go on to weigh the modes, which may need one probe request to learn the limits).
        var costs = RunCosts.Create(settings, check, repeats);
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

        using var setup = endpointEntries is not null
            ? ProviderSetup.ForEndpoints(settings.Endpoints!, endpointEntries, Environment.GetEnvironmentVariable, settings.MaxResponseBytes)
            : ProviderSetup.Create(settings.BaseUrl, settings.ApiKeyEnv, check.ByEndpoint, settings.MaxResponseBytes);
        var provider = setup.Handler;
        if (!settings.Quiet)
        {
            Console.Error.WriteLine($"llmbatch: {check.Requests:N0} request(s); {setup.Description}");
            foreach (var note in setup.Notes)
            {
                Console.Error.WriteLine("llmbatch: " + note);
            }
        }

        using var telemetry = TelemetrySetup.Start(settings.Otlp || settings.OtlpEndpoint is not null, settings.OtlpEndpoint is null ? null : new Uri(settings.OtlpEndpoint), settings.PrometheusPort);
        using var loggers = CliLogging.Create(settings.Verbose);
        if (settings.Redis is not null)
        {
            // The job goes through Redis: this process enqueues, takes part and collects (RedisRun); workers join it.
            return await RedisRun.ExecuteAsync(settings, input, check, validation, setup, costs.Prices, stop, signals).ConfigureAwait(false);
        }

        // One engine for the whole command (every phase of a map-reduce is a run of its own on it), disposed with it.
        var builder = setup.Endpoints is { } endpoints ? new BatchEngineBuilder(endpoints) : new BatchEngineBuilder(provider);
        if (setup.Endpoints is { Count: > 1 } several && settings.MaxConcurrency is null)
        {
            // Items in progress are bounded engine-wide: the default bound is one endpoint's, so it grows with their number.
            options.MaxConcurrency = Math.Min(100_000, options.MaxConcurrency * several.Count);
        }

        using var engine = costs.Apply(builder.WithOptions(options).WithLoggerFactory(loggers), options).Build();
        if (settings.BatchMode != BatchApiMode.Online)
        {
            // The Batch API modes and their plan live in BatchModeRun; the engine serves their online part.
            return await BatchModeRun.ExecuteAsync(settings, input, check, setup, engine, costs.Prices, stop, signals).ConfigureAwait(false);
        }

        return await OnlineRun.ExecuteAsync(settings, input, check, validation, engine, costs.Prices, stop, signals).ConfigureAwait(false);
    }
}
