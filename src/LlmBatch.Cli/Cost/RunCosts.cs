using System.Globalization;
using LlmBatch.Caching;
using LlmBatch.Cli.Commands;
using LlmBatch.Cost;
using LlmBatch.Input;
using LlmBatch.Providers;
using LlmBatch.Sqlite;

namespace LlmBatch.Cli.Cost;

/// <summary>
/// What <c>run</c> does about cost: the prices, the live spend and <c>--max-cost</c>, deduplication within the run and
/// the response cache (<c>--cache</c>), and the estimate of <c>--dry-run</c>. Built from the flags, applied to the engine
/// builder, and asked at the end whether the budget stopped the run.
/// </summary>
internal sealed class RunCosts : IAsyncDisposable
{
    private readonly RunSettings _settings;
    private readonly SqliteResponseCache? _cache;

    private RunCosts(RunSettings settings, PriceTable prices, SqliteResponseCache? cache, ResponseReuseOptions? reuse)
    {
        _settings = settings;
        Prices = prices;
        _cache = cache;
        Reuse = reuse;
    }

    public PriceTable Prices { get; }

    /// <summary>Deduplication and cache settings; null with <c>--no-dedupe</c> and no <c>--cache</c>.</summary>
    public ResponseReuseOptions? Reuse { get; }

    /// <summary>
    /// What counts the input's repeated bodies for deduplication while the input is checked (one pass for both), or null
    /// when the run does not deduplicate (<c>--no-dedupe</c>, <c>--dry-run</c>).
    /// </summary>
    public static RepeatCounter? RepeatCounterFor(RunSettings settings) =>
        settings.NoDedupe || settings.DryRun ? null : new RepeatCounter(PolicyOf(settings), ProviderIdentity(settings));

    /// <summary>Reads the flags, opens the cache, and takes the input's repeats that <paramref name="repeats"/> counted during the check.</summary>
    public static RunCosts Create(RunSettings settings, BatchValidationReport check, RepeatCounter? repeats)
    {
        var prices = settings.Prices is null ? PriceTable.BuiltIn : LoadPrices(settings.Prices);
        if (settings.MaxCost is not null)
        {
            // A cap cannot hold over a model whose cost it cannot count: refuse before anything is sent.
            var unpriced = check.ByModel.Keys.Where(m => !prices.TryGetPrice(m, out _)).Order(StringComparer.Ordinal).ToList();
            if (unpriced.Count > 0)
            {
                throw new BatchOptionsException([$"--max-cost needs a price for every model, and {string.Join(", ", unpriced)} has none in {prices.Source}; give it with --prices FILE."]);
            }
        }

        SqliteResponseCache? cache = null;
        if (settings.Cache is { } path)
        {
            var cacheOptions = new SqliteResponseCacheOptions { Path = path };
            if (settings.CacheMaxSize is { } max)
            {
                cacheOptions.MaxSizeBytes = max;
            }

            cache = SqliteResponseCache.Open(cacheOptions);
        }

        ResponseReuseOptions? reuse = null;
        if (!settings.NoDedupe || cache is not null)
        {
            reuse = new ResponseReuseOptions
            {
                Deduplicate = !settings.NoDedupe,
                Cache = cache,
                Policy = PolicyOf(settings),
                Provider = ProviderIdentity(settings),
                Repeats = repeats?.Build(),
            };
        }

        return new RunCosts(settings, prices, cache, reuse);
    }

    /// <summary>
    /// What identifies the provider in cache keys: the resolved base URL without user info, query or fragment (never
    /// a credential), or "local" when requests run on the embedded model.
    /// </summary>
    public static string ProviderIdentity(RunSettings settings)
    {
        var endpoint = ProviderEnvironment.Resolve(settings.BaseUrl, settings.ApiKeyEnv);
        if (endpoint.BaseUrl is not { } url)
        {
            return "local";
        }

        return new UriBuilder(url) { UserName = "", Password = "", Query = "", Fragment = "" }.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/').ToLowerInvariant();
    }

    private static ReusePolicy PolicyOf(RunSettings settings) => settings.CacheAll ? ReusePolicy.All : ReusePolicy.Deterministic;

    public BatchEngineBuilder Apply(BatchEngineBuilder builder, BatchOptions options)
    {
        builder.WithCostControl(new CostControlOptions { Prices = Prices, MaxCost = _settings.MaxCost });
        return Reuse is null ? builder : builder.WithResponseReuse(Reuse);
    }

    /// <summary>The estimate of what the run would send and pay for.</summary>
    public Task<BatchEstimate> EstimateAsync(string input, BatchOptions options, CancellationToken cancellationToken) =>
        BatchEstimator.EstimateAsync(BatchInputFile.ReadValidatedAsync(input, _settings.MaxLineBytes ?? BatchValidationOptions.DefaultMaxLineBytes, cancellationToken), new BatchEstimateOptions
        {
            Prices = Prices,
            DefaultMaxOutputTokens = options.DefaultMaxOutputTokens,
            PreviousOutputPath = _settings.OutputPath,
            SkipDone = true,
            RetryFailed = _settings.RetryFailed,
            Reuse = Reuse,
        }, cancellationToken);

    /// <summary>The message for a run the budget stopped, or null when it did not.</summary>
    public static string? BudgetStop(BatchProgress progress, BatchJobResult result)
    {
        if (progress.Cost is not { } cost || !(cost.CapReached || cost.UnpricedModel is not null))
        {
            return null;
        }

        var c = CultureInfo.InvariantCulture;
        if (cost.UnpricedModel is { } model)
        {
            return string.Create(c, $"stopped: model {model} has no price, so --max-cost cannot be kept; {result.Remaining:N0} item(s) not sent. Give its price with --prices FILE and rerun.");
        }

        return string.Create(c, $"stopped at the budget: spent {Money(cost.Spent)} of --max-cost {Money(cost.MaxCost ?? 0)} (the next request could cost up to {Money(cost.LargestReservation)}); {result.Remaining:N0} item(s) not sent. Rerun with a higher --max-cost to continue; nothing already answered is sent again.");
    }

    public static string Money(decimal usd) =>
        usd >= 100 ? usd.ToString("$#,0.00", CultureInfo.InvariantCulture)
        : usd >= 0.01m || usd == 0 ? usd.ToString("$0.00##", CultureInfo.InvariantCulture)
        : usd.ToString("$0.000000", CultureInfo.InvariantCulture);

    // Not an async method: a run without --cache has nothing to wait for, and no state machine to compile at start-up.
    public ValueTask DisposeAsync() => _cache is null ? ValueTask.CompletedTask : _cache.DisposeAsync();

    /// <summary>A price table that cannot be read is a usage error naming the flag, found before anything is sent.</summary>
    private static PriceTable LoadPrices(string path)
    {
        try
        {
            return PriceTable.Load(path);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new BatchOptionsException([$"--prices: {ex.Message}"]);
        }
    }
}
