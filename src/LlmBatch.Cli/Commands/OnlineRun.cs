using LlmBatch.Cli.Cost;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Cli.Progress;
using LlmBatch.Cost;
using LlmBatch.Input;

namespace LlmBatch.Cli.Commands;

/// <summary>
/// The part of <c>llmbatch run</c> for <c>--mode online</c> (the default): the job on the engine with its progress
/// display (a map-reduce over documents runs one per phase), then the report, the summary, <c>--merge</c> and the exit
/// code. <see cref="BatchModeRun"/> is its counterpart for the Batch API modes.
/// </summary>
internal static class OnlineRun
{
    public static async Task<int> ExecuteAsync(
        RunSettings settings, string input, BatchValidationReport check, BatchValidationOptions validation, IBatchEngine engine,
        PriceTable prices, CancellationTokenSource stop, StopSignals signals)
    {
        var job = settings.ToJobOptions(input, validation);

        // One job with its progress display; a map-reduce runs one per phase, each a run of its own on the engine, so
        // the engine's progress (that of the run started last) counts the phase's own items.
        async Task<BatchJobResult> RunPhaseAsync(BatchJobOptions phase, CancellationToken ct)
        {
            var phaseCheck = phase.InputPath == input ? check : await BatchInputFile.ValidateAsync(phase.InputPath, validation, ct).ConfigureAwait(false);
            phaseCheck.ThrowIfInvalid();
            phase.CheckedInput = phaseCheck;
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
            return await DocumentRun.MapReduceAsync(settings, job, RunPhaseAsync, prices, stop.Token).ConfigureAwait(false);
        }

        var report = RunOutputs.StartReport(settings, prices);
        job.Written = report is null ? null : report.Add;
        var result = await RunPhaseAsync(job, stop.Token).ConfigureAwait(false);
        var live = engine.GetProgress();
        var skipped = settings.IsDocuments ? await DocumentRun.ReadSkippedAsync(Documents.DocumentManifest.PathFor(settings.OutputPath), CancellationToken.None).ConfigureAwait(false) : [];
        await RunOutputs.WriteReportAsync(
            settings, result.Summary, prices, settings.IsDocuments ? DocumentRun.ForReport(skipped) : null,
            collected: report is null ? null : (report, result.OutputStartOffset)).ConfigureAwait(false);
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

        var mergeFailed = await RunOutputs.MergeAsync(settings, input).ConfigureAwait(false);
        return result.FailedInOutput > 0 || mergeFailed > 0 ? CliApp.ExitItemsFailed : CliApp.ExitSuccess;
    }
}
