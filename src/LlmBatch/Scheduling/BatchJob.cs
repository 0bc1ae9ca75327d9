using System.Runtime.CompilerServices;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Reporting;

namespace LlmBatch;

/// <summary>
/// Runs an input file into an output file: checks the whole input first, resumes from what the output already
/// holds, appends each result as it finishes, and on a stop request lets requests in flight finish for a grace period.
/// </summary>
public static class BatchJob
{
    /// <summary>Runs the job.</summary>
    /// <param name="engine">The engine to run the requests through.</param>
    /// <param name="options">Input, output, resume and stop settings.</param>
    /// <param name="cancellationToken">
    /// Requests a graceful stop: no new request is dispatched, requests in flight may finish within
    /// <see cref="BatchJobOptions.ShutdownGracePeriod"/>, then the rest are abandoned (and re-sent by a rerun).
    /// </param>
    /// <returns>What the run did.</returns>
    /// <exception cref="BatchInputException">The input is invalid; nothing was sent.</exception>
    /// <exception cref="BatchAuthenticationException">The provider refused the credentials before any success.</exception>
    public static async Task<BatchJobResult> RunAsync(IBatchEngine engine, BatchJobOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var validation = options.CheckedInput
            ?? await BatchInputFile.ValidateAsync(options.InputPath, options.Validation, cancellationToken).ConfigureAwait(false);
        validation.ThrowIfInvalid();

        var checkpoint = await OutputCheckpoint.OpenAsync(options.OutputPath, options.RetryFailed, cancellationToken).ConfigureAwait(false);
        options.Resumed?.Invoke(checkpoint.Done);
        var summary = new RunSummaryBuilder();
        var skipped = new StrongBox<long>();
        var excluded = new StrongBox<long>();
        using var abort = new CancellationTokenSource();

        long written = 0;
        Exception? stoppedBy = null;
        BatchProgress progress;
        var writer = BatchOutputWriter.Open(options.OutputPath, options.TimeProvider);
        var startOffset = writer.StartOffset;
        await using (writer.ConfigureAwait(false))
        {
            // Checked above: read once more without checking again, with the same line-length cap.
            var requests = BatchInputFile.ReadValidatedAsync(options.InputPath, options.Validation.MaxLineBytes, CancellationToken.None);
            var pending = Pending(requests, checkpoint, options.Include, skipped, excluded, cancellationToken);

            // A run of its own: a stop ends this job's dispatch only, not other work on a shared engine. Our engine's
            // items hand their results straight to the writer's queue (one channel, one loop: the writer's, which
            // also summarises); another engine's results are read and queued here.
            IBatchRun run;
            if (engine is IResultSinkEngine sinking)
            {
                var told = options.Written;
                writer.Taken = result =>
                {
                    summary.Add(result);
                    written++;
                    told?.Invoke(result);
                };
                run = sinking.Start(pending, result => writer.WriteAsync(result, CancellationToken.None), abort.Token);
            }
            else
            {
                run = engine.Start(pending, abort.Token);
            }

            await using var disposeRun = run.ConfigureAwait(false);
            using var stop = RegisterGracefulStop(run.StopDispatch, abort, options.ShutdownGracePeriod, options.TimeProvider, cancellationToken);
            try
            {
                await foreach (var result in run.Results.ConfigureAwait(false))
                {
                    await writer.WriteAsync(result, CancellationToken.None).ConfigureAwait(false);
                    summary.Add(result);
                    written++;
                    options.Written?.Invoke(result);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Grace period over: what finished is written, the rest is re-sent by a rerun.
            }
            catch (Exception ex) when (ex is BatchStalledException or BatchQuotaExhaustedException)
            {
                // The server refused everything: what finished is written and summarised, the rest is re-sent by a rerun.
                stoppedBy = ex;
            }

            progress = run.GetProgress();
        }

        var remaining = validation.Requests - skipped.Value - excluded.Value - written;
        if (options.PreserveOrder && remaining == 0)
        {
            await OutputOrderer.SortByInputAsync(options.OutputPath, options.InputPath, CancellationToken.None).ConfigureAwait(false);
        }

        // Figures only the live run knows: the limits in force, memory and how long intake was held back.
        var built = summary.Build(progress.Elapsed) with
        {
            RequestsPerMinuteLimit = progress.RequestsPerMinuteLimit,
            TokensPerMinuteLimit = progress.TokensPerMinuteLimit,
            PeakMemoryBytes = Math.Max(progress.PeakMemoryBytes ?? 0, PeakWorkingSet()),
            IntakePausedTime = progress.PeakMemoryBytes is null ? null : progress.IntakePaused,
            ConcurrencyLimit = progress.ConcurrencyLimit > 0 ? progress.ConcurrencyLimit : null,
            ConcurrencyAdapted = progress.ConcurrencyLimit > 0 ? progress.ConcurrencyAdapts : null,
            ConcurrencyTimeline = progress.ConcurrencyTimeline,
            Endpoints = progress.Endpoints,
        };
        return new BatchJobResult
        {
            Summary = built,
            Validation = validation,
            Skipped = skipped.Value,
            Excluded = excluded.Value,
            Requeued = checkpoint.RemovedFailures,
            RepairedBytes = checkpoint.RepairedBytes,
            Remaining = remaining,
            Interrupted = remaining > 0,
            StoppedBy = stoppedBy,
            FailedInOutput = checkpoint.Failed + built.Failed,
            OutputStartOffset = startOffset,
        };
    }

    private static long PeakWorkingSet()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }

    /// <summary>
    /// On <paramref name="stop"/>: stops dispatch at once, then cancels <paramref name="abort"/> (the requests still on the
    /// wire) once <paramref name="grace"/> has passed. Shared by every runner that stops as the command line does.
    /// </summary>
    internal static CancellationTokenRegistration RegisterGracefulStop(IBatchEngine engine, CancellationTokenSource abort, TimeSpan grace, TimeProvider time, CancellationToken stop) =>
        RegisterGracefulStop(engine.StopDispatch, abort, grace, time, stop);

    /// <summary>As above, stopping one run's dispatch (or anything else) with <paramref name="stopDispatch"/>.</summary>
    internal static CancellationTokenRegistration RegisterGracefulStop(Action stopDispatch, CancellationTokenSource abort, TimeSpan grace, TimeProvider time, CancellationToken stop) =>
        stop.Register(static state =>
        {
            var (stopDispatch, source, grace, time) = ((Action, CancellationTokenSource, TimeSpan, TimeProvider))state!;
            stopDispatch();
            _ = AbortAfterAsync(source, grace, time);
        }, (stopDispatch, abort, grace, time));

    private static async Task AbortAfterAsync(CancellationTokenSource abort, TimeSpan grace, TimeProvider time)
    {
        try
        {
            await Task.Delay(grace, time).ConfigureAwait(false);
            await abort.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The run ended within the grace period.
        }
    }

    // Skips what the output already holds (and what another runner sends) and stops yielding (stops dispatch) once a stop is requested.
    private static async IAsyncEnumerable<BatchRequest> Pending(IAsyncEnumerable<BatchRequest> requests, OutputCheckpoint checkpoint, Func<BatchRequest, bool>? include, StrongBox<long> skipped, StrongBox<long> excluded, [EnumeratorCancellation] CancellationToken stop)
    {
        await foreach (var request in requests.ConfigureAwait(false))
        {
            if (stop.IsCancellationRequested)
            {
                yield break;
            }

            if (checkpoint.IsDone(request.CustomId))
            {
                skipped.Value++;
                continue;
            }

            if (include is not null && !include(request))
            {
                excluded.Value++;
                continue;
            }

            yield return request;
        }
    }
}
