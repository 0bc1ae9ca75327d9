using LlmBatch.Cli.Infrastructure;
using LlmBatch.Cli.Progress;
using LlmBatch.Cost;
using LlmBatch.Input;
using LlmBatch.Redis.Connection;
using LlmBatch.Redis.Jobs;
using LlmBatch.Redis.Owner;
using LlmBatch.Redis.Workers;
using LlmBatch.Reporting;

namespace LlmBatch.Cli.Commands;

/// <summary>
/// The part of <c>llmbatch run … --redis URL</c>: the job goes through Redis (<see cref="RedisBatchJob"/>): this
/// process enqueues it, takes part with its own provider, and collects every line into the output; the live view and
/// the summary show each worker. The key's variable NAME travels to the workers, never the key.
/// </summary>
internal static class RedisRun
{
    public static async Task<int> ExecuteAsync(
        RunSettings settings, string input, BatchValidationReport check, BatchValidationOptions validation, ProviderSetup setup,
        PriceTable prices, CancellationTokenSource stop, StopSignals signals)
    {
        var job = settings.ToJobOptions(input, validation);
        job.CheckedInput = check;
        var totals = new ProgressTotals { Items = check.Requests };
        job.Resumed = done => totals.Resumed = done;
        RedisJobProgress? latest = null;
        var options = new RedisBatchJobOptions
        {
            Redis = settings.Redis!,
            Job = job,
            Options = settings.ToBatchOptions(),
            BaseUrl = setup.Endpoint?.BaseUrl,
            ApiKeyVariable = setup.Endpoint?.KeySource,
            Endpoints = settings.Endpoints is { } file ? JobEndpoints(EndpointsFile.Read(file)) : null,
            MaxResponseBytes = settings.MaxResponseBytes,
            Provider = setup.Handler,
            Concurrency = settings.Concurrency ?? settings.MaxConcurrency ?? 64,
            Lease = settings.Lease ?? TimeSpan.FromSeconds(30),
            Progress = p => latest = p,
            Log = settings.Quiet ? null : message => Console.Error.WriteLine($"llmbatch: {message}"),
        };

        RedisBatchJobResult result;
        var progress = ProgressDisplay.Start(
            () => latest?.ToBatchProgress() ?? new BatchProgress(), totals, settings.ProgressMode, null,
            parts: () => WorkersText.Parts(latest?.Workers ?? [], TimeProvider.System.GetUtcNow(), options.Lease));
        await using (progress.ConfigureAwait(false))
        {
            signals.View = progress;
            try
            {
                result = await RedisBatchJob.RunAsync(options, stop.Token).ConfigureAwait(false);

                // The view draws once more on dispose: with the final figures, not those of the last second.
                latest = new RedisJobProgress
                {
                    JobId = result.JobId,
                    Elapsed = result.Job.Summary.WallTime,
                    Total = check.Requests,
                    Resumed = result.Job.Skipped,
                    Written = result.Job.Summary.Succeeded + result.Job.Summary.Failed,
                    Failed = result.Job.Summary.Failed,
                    Duplicates = result.Duplicates,
                    Workers = result.Workers,
                    Local = latest?.Local,
                };
            }
            catch (RedisUnavailableException ex)
            {
                if (ex.BeforeStart)
                {
                    throw new BatchOptionsException([ex.Message]);
                }

                throw new RunInterruptedException(ex.Message, ex);
            }
            finally
            {
                signals.View = null;
            }
        }

        await RunOutputs.WriteReportAsync(settings, result.Job.Summary, prices, workers: ReportWorkers(result.Workers, TimeProvider.System.GetUtcNow(), options.Lease)).ConfigureAwait(false);
        if (!settings.Quiet)
        {
            SummaryPrinter.Print(result.Job, settings.OutputPath);
            Console.Out.WriteLine(Describe(result));
        }

        if (JobOutcome.ExitCodeIfUnfinished(result.Job) is { } unfinished)
        {
            return unfinished;
        }

        var mergeFailed = await RunOutputs.MergeAsync(settings, input).ConfigureAwait(false);
        return result.Job.FailedInOutput > 0 || mergeFailed > 0 ? CliApp.ExitItemsFailed : CliApp.ExitSuccess;
    }

    /// <summary>The job's workers as the report lists them: a worker still in the job but silent past the lease is lost.</summary>
    internal static List<RunReportWorker> ReportWorkers(IReadOnlyList<RedisWorkerStatus> workers, DateTimeOffset now, TimeSpan lease) =>
        [.. workers.Select(w => new RunReportWorker
        {
            Id = w.WorkerId,
            Host = w.Host,
            ProcessId = w.ProcessId,
            Done = w.Done,
            Failed = w.Failed,
            Duplicates = w.Duplicates,
            Reclaimed = w.Reclaimed,
            Errors = w.Errors,
            RateLimited = w.RateLimited,
            ItemsPerSecond = w.RatePerSecond,
            LastSeen = w.LastSeen,
            Left = w.Left,
            Lost = WorkersText.IsLost(w, now, lease),
        })];

    /// <summary>The endpoints file as the job's spec carries it: key variable NAMES, never keys; each participant reads its own.</summary>
    internal static List<RedisJobEndpoint> JobEndpoints(IReadOnlyList<EndpointsFile.Entry> entries) =>
        [.. entries.Select(e => new RedisJobEndpoint
        {
            Name = e.Name,
            BaseUrl = e.BaseUrl.ToString(),
            ApiKeyVariable = e.ApiKeyEnv,
            RequestsPerMinute = e.Rpm,
            TokensPerMinute = e.Tpm,
            Weight = e.Weight,
            Model = e.Model,
        })];

    /// <summary>The job's workers, one line each, and the duplicates dropped.</summary>
    internal static string Describe(RedisBatchJobResult result)
    {
        var text = new System.Text.StringBuilder();
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"Redis job {result.JobId}: {result.Workers.Count} worker(s), {result.Duplicates:N0} duplicate result(s) dropped, {result.Reclaimed:N0} item(s) taken over from a stopped worker").AppendLine();
        foreach (var w in result.Workers)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"  {Terminal.TerminalText.Escape(w.WorkerId),-32} {w.Done,8:N0} done {w.Failed,6:N0} failed {w.RatePerSecond,8:0.0}/s {w.RateLimited,6:N0} × 429 {w.Duplicates,4:N0} dup {w.Errors,4:N0} errors").AppendLine();
        }

        return text.ToString();
    }
}
