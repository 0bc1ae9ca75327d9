using LlmBatch.Caching;
using LlmBatch.Cost;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch;

/// <summary>
/// The engine with spend and reuse figures in its progress. The books are the engine's (a cost cap bounds every run
/// under way together): they start fresh when a run starts on an idle engine. A stop of every run reaches the cost
/// ledger first, so attempts waiting for budget are released unsent, then the engine; a stop of one run leaves the
/// ledger open for the others.
/// </summary>
internal sealed class MeteredBatchEngine(IBatchEngine inner, CostLedger? ledger, ReuseCounters? reused) : IBatchEngine, IResultSinkEngine
{
    private int _active;

    public IAsyncEnumerable<BatchResult> RunAsync(IAsyncEnumerable<BatchRequest> requests, CancellationToken cancellationToken = default) =>
        BatchEngineRun.ReadToEndAsync(this, requests, cancellationToken);

    public IBatchRun Start(IAsyncEnumerable<BatchRequest> requests, CancellationToken cancellationToken = default) =>
        Start(requests, null, cancellationToken);

    public IBatchRun Start(IAsyncEnumerable<BatchRequest> requests, Func<BatchResult, ValueTask>? sink, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _active) == 1)
        {
            ledger?.Reset();
            reused?.Reset();
        }

        IBatchRun run;
        try
        {
            run = inner is IResultSinkEngine sinking ? sinking.Start(requests, sink, cancellationToken)
                : sink is null ? inner.Start(requests, cancellationToken)
                : throw new NotSupportedException("The inner engine cannot hand results to a sink.");
        }
        catch
        {
            Interlocked.Decrement(ref _active);
            throw;
        }

        _ = run.Completion.ContinueWith(static (_, s) => Interlocked.Decrement(ref ((MeteredBatchEngine)s!)._active), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return new MeteredBatchRun(run, this);
    }

    public void StopDispatch()
    {
        ledger?.Close();
        inner.StopDispatch();
    }

    public void Dispose() => inner.Dispose();

    public BatchProgress GetProgress() => WithBooks(inner.GetProgress());

    private BatchProgress WithBooks(BatchProgress progress) => progress with
    {
        Cost = ledger?.Snapshot(),
        AnsweredFromCache = reused?.CacheHits ?? 0,
        SharedAnswers = reused?.Shared ?? 0,
    };

    /// <summary>A run whose progress and summary carry the engine's books.</summary>
    private sealed class MeteredBatchRun(IBatchRun inner, MeteredBatchEngine engine) : IBatchRun
    {
        public IAsyncEnumerable<BatchResult> Results => inner.Results;

        public Task<BatchProgress> Completion => field ??= WithBooksAsync();

        public BatchProgress GetProgress() => engine.WithBooks(inner.GetProgress());

        public void StopDispatch() => inner.StopDispatch();

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        private async Task<BatchProgress> WithBooksAsync() => engine.WithBooks(await inner.Completion.ConfigureAwait(false));
    }
}
