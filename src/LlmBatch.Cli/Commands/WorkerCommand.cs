using LlmBatch.Cli.Infrastructure;
using LlmBatch.Redis.Connection;
using LlmBatch.Redis.Workers;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary>
/// <c>llmbatch worker --redis URL</c>: joins the open jobs of <c>run --redis</c> (<see cref="RedisBatchWorker"/>). A
/// job's key comes from this machine's own environment, from the variable the job names; a job whose variable is
/// not set here is skipped, saying so. A job with no endpoint runs on the embedded model here.
/// </summary>
internal sealed class WorkerCommand : AsyncCommand<WorkerSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, WorkerSettings settings, CancellationToken cancellationToken)
    {
        using var stop = new CancellationTokenSource();
        using var signals = StopSignals.Register(stop);
        using var telemetry = Telemetry.TelemetrySetup.Start(settings.Otlp || settings.OtlpEndpoint is not null, settings.OtlpEndpoint is null ? null : new Uri(settings.OtlpEndpoint), settings.PrometheusPort);
        var setups = new List<ProviderSetup>();
        try
        {
            var options = new RedisWorkerOptions
            {
                Redis = settings.Redis!,
                Concurrency = settings.Concurrency ?? 64,
                Once = settings.Once,
                Provider = spec =>
                {
                    var setup = spec.BaseUrl is null
                        ? ProviderSetup.CreateLocal()
                        : ProviderSetup.Create(spec.BaseUrl, spec.ApiKeyVariable, new Dictionary<string, long>(), spec.MaxResponseBytes);
                    setups.Add(setup);
                    return setup.Handler;
                },
                Log = settings.Quiet ? null : message => Console.Error.WriteLine($"llmbatch: {message}"),
            };
            var done = await RedisBatchWorker.RunAsync(options, stop.Token).ConfigureAwait(false);
            if (!settings.Quiet)
            {
                Console.Out.WriteLine($"worker {done.WorkerId}: {done.Done:N0} item(s) done, {done.Failed:N0} failed, {done.Duplicates:N0} answered after another worker, {done.Reclaimed:N0} taken over.");
            }

            return stop.IsCancellationRequested ? CliApp.ExitInterrupted : CliApp.ExitSuccess;
        }
        catch (RedisUnavailableException ex) when (ex.BeforeStart)
        {
            throw new BatchOptionsException([ex.Message]);
        }
        catch (RedisUnavailableException ex)
        {
            throw new RunInterruptedException(ex.Message, ex);
        }
        finally
        {
            foreach (var setup in setups)
            {
                setup.Dispose();
            }
        }
    }
}
