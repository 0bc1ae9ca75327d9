using LlmBatch.Caching;
using LlmBatch.Cost;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using Microsoft.Extensions.Logging;

namespace LlmBatch;

/// <summary>
/// Builds the optional layers of issue 12 for <see cref="BatchEngineBuilder"/>: the cost layer (per attempt, above the
/// rate limit), the reuse layer (per item, above the retries), and the engine wrapper that adds their figures to the
/// progress and hands a stop to the ledger. With neither configured, every method gives back what it was given.
/// </summary>
internal sealed class MeteredLayers(CostControlOptions? cost, ResponseReuseOptions? reuse, BatchOptions options, ILoggerFactory loggers)
{
    private readonly CostLedger? _ledger = cost is null ? null : new CostLedger(cost);
    private readonly ReuseCounters? _reused = reuse is null ? null : new ReuseCounters();

    public IBatchHandler WrapAttempts(IBatchHandler handler) =>
        _ledger is null ? handler : new CostHandler(handler, _ledger, TokenCounter.Shared, options.DefaultMaxOutputTokens);

    public IBatchHandler WrapItems(IBatchHandler handler) =>
        reuse is null ? handler : new ResponseReuseHandler(handler, reuse, _reused!, loggers.CreateLogger("LlmBatch.Caching"));

    public IBatchEngine Engine(IBatchEngine engine)
    {
        if (_ledger is null && _reused is null)
        {
            return engine;
        }

        var metered = new MeteredBatchEngine(engine, _ledger, _reused);
        if (_ledger is not null)
        {
            _ledger.StopDispatch = engine.StopDispatch;
        }

        return metered;
    }
}
