using System.Runtime.CompilerServices;
using LlmBatch.Caching;
using LlmBatch.Cost;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch;

/// <summary>
/// The engine with spend and reuse figures in its progress. A stop reaches the cost ledger first, so attempts waiting
/// for budget are released unsent, then the engine. Each run starts with fresh books.
/// </summary>
internal sealed class MeteredBatchEngine(IBatchEngine inner, CostLedger? ledger, ReuseCounters? reused) : IBatchEngine
{
    public async IAsyncEnumerable<BatchResult> RunAsync(IAsyncEnumerable<BatchRequest> requests, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ledger?.Reset();
        reused?.Reset();
        await foreach (var result in inner.RunAsync(requests, cancellationToken).ConfigureAwait(false))
        {
            yield return result;
        }
    }

    public void StopDispatch()
    {
        ledger?.Close();
        inner.StopDispatch();
    }

    public void Dispose() => inner.Dispose();

    public BatchProgress GetProgress() => inner.GetProgress() with
    {
        Cost = ledger?.Snapshot(),
        AnsweredFromCache = reused?.CacheHits ?? 0,
        SharedAnswers = reused?.Shared ?? 0,
    };
}
