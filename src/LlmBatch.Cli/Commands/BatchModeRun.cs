using LlmBatch.BatchApi;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Cli.Progress;
using LlmBatch.Cost;
using LlmBatch.Input;
using LlmBatch.LocalModel;
using LlmBatch.Providers;
using LlmBatch.Reporting;

namespace LlmBatch.Cli.Commands;

/// <summary>
/// The part of <c>llmbatch run</c> for <c>--mode batch</c>, <c>--mode auto</c> and <c>--dry-run</c>: builds a
/// <see cref="BatchApiJob"/> from the flags, prints its plan, shows its progress, then the report and the summary.
/// </summary>
internal static class BatchModeRun
{
    public static async Task<int> ExecuteAsync(
        RunSettings settings, string input, BatchValidationReport check, ProviderSetup setup, IBatchEngine engine,
        PriceTable? prices, CancellationTokenSource stop, StopSignals signals)
    {
        var mode = settings.BatchMode;
        var endpoint = ProviderEnvironment.Resolve(settings.BaseUrl, settings.ApiKeyEnv);
        if (mode != BatchApiMode.Online && !endpoint.IsResolved)
        {
            throw new BatchOptionsException([$"--mode {mode.ToString().ToLowerInvariant()} sends through a provider's Batch API, which does not run offline: {endpoint.Problem}"]);
        }

        if (mode != BatchApiMode.Online && check.ByModel.Keys.FirstOrDefault(LocalModels.IsLocalModel) is { } local)
        {
            // The embedded model answers in this process; a provider's Batch API has never heard of it.
            throw new BatchOptionsException([$"--mode {mode.ToString().ToLowerInvariant()}: {check.ByModel[local]:N0} request(s) name the embedded model {local}, which runs here, not on a provider: send them with --mode online."]);
        }

        var table = prices ?? PriceTable.BuiltIn;
        var options = new BatchApiJobOptions
        {
            InputPath = input,
            OutputPath = settings.OutputPath,
            BaseUrl = endpoint.BaseUrl,
            ApiKey = endpoint.ApiKey,
            Mode = mode,
            Fallback = settings.Fallback ?? BatchFallback.Resubmit,
            OnlineEngine = engine,
            Cost = (model, prompt, completion, batch) => BatchPricing.Cost(table, model, prompt, completion, batch),
            EnqueuedTokenLimit = settings.EnqueuedTokenLimit,
            DeleteProviderFiles = !settings.KeepFiles,
            RetryFailed = settings.RetryFailed,
            CheckedInput = check,
            DefaultMaxOutputTokens = settings.DefaultMaxTokens ?? 256,
        };
        if (settings.MaxLineBytes is { } maxLine)
        {
            options.Validation.MaxLineBytes = maxLine;
        }

        if (settings.BatchMaxRequests is { } perFile)
        {
            options.MaxRequestsPerFile = perFile;
        }

        if (settings.Deadline is { } deadline)
        {
            options.Deadline = deadline;
        }

        if (settings.PollInterval is { } poll)
        {
            options.PollInterval = poll;
            options.MaxPollInterval = poll > options.MaxPollInterval ? poll : options.MaxPollInterval;
        }

        if (settings.Grace is { } grace)
        {
            options.ShutdownGracePeriod = grace;
        }

        if (mode == BatchApiMode.Auto || (mode == BatchApiMode.Online && settings.DryRun))
        {
            options.OnlineLimits = await LimitsAsync(settings, input, setup.Handler, stop.Token).ConfigureAwait(false);
        }

        using var job = new BatchApiJob(options);
        if (settings.DryRun)
        {
            var planned = await job.PlanAsync(stop.Token).ConfigureAwait(false);
            Console.Out.Write(BatchRunPrinter.FormatPlan(planned, mode, job.GetProgress().Resumed));
            Console.Out.WriteLine("Dry run: nothing was sent" + (mode != BatchApiMode.Batch && settings.Rpm is null && settings.Tpm is null ? " but the one probe request." : "."));
            return CliApp.ExitSuccess;
        }

        var started = TimeProvider.System.GetTimestamp();
        signals.StoppingMessage = BatchRunPrinter.StoppingMessage(settings.OutputPath);
        var view = BatchProgressDisplay.Start(job.GetProgress, plan => BatchRunPrinter.FormatPlan(plan, mode, job.GetProgress().Resumed), settings.ProgressMode, null);
        BatchApiJobResult result;
        await using (view.ConfigureAwait(false))
        {
            signals.View = view;
            try
            {
                result = await job.RunAsync(stop.Token).ConfigureAwait(false);
            }
            finally
            {
                signals.View = null;
            }
        }

        if (!settings.Quiet && ProgressDisplay.Resolve(settings.ProgressMode, plainOutGiven: false) == ProgressMode.Rich)
        {
            // The live panel showed only the choice; the estimate behind it stays on the screen.
            Console.Error.Write(BatchRunPrinter.FormatPlan(result.Plan, mode, result.Skipped));
        }

        if (File.Exists(settings.OutputPath))
        {
            // A run stopped before its first batch ended has no output yet, and nothing to report.
            await RunOutputs.WriteReportAsync(settings, result.Online?.Summary, prices).ConfigureAwait(false);
        }

        if (!settings.Quiet)
        {
            Console.Out.Write(BatchRunPrinter.FormatSummary(result, settings.OutputPath, TimeProvider.System.GetElapsedTime(started)));
        }

        if (result.Interrupted)
        {
            return CliApp.ExitInterrupted;
        }

        var mergeFailed = await RunOutputs.MergeAsync(settings, input).ConfigureAwait(false);
        return result.FailedInOutput > 0 || mergeFailed > 0 ? CliApp.ExitItemsFailed : CliApp.ExitSuccess;
    }

    // The limits for the plan: the flags when given, else what one probe request's headers say.
    private static async Task<OnlineLimits> LimitsAsync(RunSettings settings, string input, IBatchHandler provider, CancellationToken cancellationToken)
    {
        var concurrency = settings.MaxConcurrency ?? 256;
        if (settings.Rpm is not null || settings.Tpm is not null)
        {
            return new OnlineLimits { RequestsPerMinute = settings.Rpm, TokensPerMinute = settings.Tpm, MaxConcurrency = concurrency, Source = "--rpm/--tpm" };
        }

        await foreach (var sample in BatchInputFile.ReadValidatedAsync(input, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            return await OnlineLimitProbe.ProbeAsync(provider, sample, concurrency, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return new OnlineLimits { MaxConcurrency = concurrency, Source = "no request to probe with" };
    }
}
