using LlmBatch.Caching;
using LlmBatch.Cost;
using LlmBatch.Endpoints;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using LlmBatch.Resilience;
using LlmBatch.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmBatch;

/// <summary>
/// Builds an <see cref="IBatchEngine"/> over a provider. Middleware added with <see cref="Use"/> wraps the provider
/// and sees every attempt; LlmBatch's own layers (retry, rate limit, timeout, telemetry) wrap all of them:
/// <c>run circuit breaker → item deadline → reuse (dedupe, cache) → retry → cost → rate limit → attempt timeout → counters → telemetry → your middleware
/// (first added outermost) → provider</c>; the reuse and cost layers are there only when configured.
/// </summary>
public sealed class BatchEngineBuilder
{
    private readonly IBatchHandler? _provider;
    private readonly IReadOnlyList<BatchEndpoint>? _endpoints;
    private EndpointHealthOptions _health = new();
    private readonly List<Func<IBatchHandler, IBatchHandler>> _middleware = [];
    private BatchOptions _options = new();
    private TimeProvider _timeProvider = TimeProvider.System;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private ResponseReuseOptions? _reuse;
    private CostControlOptions? _cost;
    private Func<BatchOptions, TimeProvider, ILogger, IRateBudget>? _rateBudget;

    /// <summary>Starts a builder over a provider (see <see cref="BatchProviders"/>).</summary>
    /// <param name="provider">The handler that sends one attempt to the model.</param>
    public BatchEngineBuilder(IBatchHandler provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _provider = provider;
    }

    /// <summary>
    /// Starts a builder over several endpoints that share the work (servers, deployments or keys). Each has its own
    /// budgets, learned from its own headers, its own concurrency limit and its own health; an attempt goes to the
    /// endpoint that admits it first, and one that fails is taken out for a while (<see cref="WithEndpointHealth"/>)
    /// while the others carry its items. Every request still yields exactly one result, whichever endpoint answered
    /// it (<see cref="BatchCall.Endpoint"/>, and <c>llmbatch.endpoint</c> on its output line).
    /// </summary>
    /// <param name="endpoints">The endpoints, at least one, with unique names; validated by <see cref="Build"/>. The engine owns their providers.</param>
    public BatchEngineBuilder(IEnumerable<BatchEndpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        _endpoints = [.. endpoints];
    }

    /// <summary>
    /// Sets when an endpoint of several is taken out and for how long (default: <c>new EndpointHealthOptions()</c>);
    /// ignored with a single provider.
    /// </summary>
    /// <param name="options">The options; validated by <see cref="Build"/>.</param>
    /// <returns>This builder.</returns>
    public BatchEngineBuilder WithEndpointHealth(EndpointHealthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _health = options;
        return this;
    }

    /// <summary>Sets the options (default: <c>new BatchOptions()</c>). They are validated by <see cref="Build"/>.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    public BatchEngineBuilder WithOptions(BatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        return this;
    }

    /// <summary>Sets the clock for budgets, backoff and timeouts (default <see cref="TimeProvider.System"/>).</summary>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>This builder.</returns>
    public BatchEngineBuilder WithTimeProvider(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        return this;
    }

    /// <summary>Sets the logger factory (default: no logging).</summary>
    /// <param name="loggerFactory">The logger factory.</param>
    /// <returns>This builder.</returns>
    public BatchEngineBuilder WithLoggerFactory(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _loggerFactory = loggerFactory;
        return this;
    }

    /// <summary>
    /// Sends identical requests of a run once and answers from a response cache what an earlier run paid for (default:
    /// off). The layer sits outside retries and rate limits, so an answer it gives costs no rate budget.
    /// </summary>
    /// <param name="options">What to reuse; validated by <see cref="Build"/>.</param>
    /// <returns>This builder.</returns>
    public BatchEngineBuilder WithResponseReuse(ResponseReuseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _reuse = options;
        return this;
    }

    /// <summary>
    /// Meters what the run spends (<see cref="BatchProgress.Cost"/>) and, with <see cref="CostControlOptions.MaxCost"/>,
    /// stops dispatch before a request could take the spend over the cap (default: off).
    /// </summary>
    /// <param name="options">Prices and cap; validated by <see cref="Build"/>.</param>
    /// <returns>This builder.</returns>
    public BatchEngineBuilder WithCostControl(CostControlOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cost = options;
        return this;
    }

    /// <summary>
    /// Draws the run's request and token budgets from <paramref name="factory"/>'s budget instead of one in process
    /// memory (default: <see cref="LocalRateBudget"/>): a budget shared by several processes (LlmBatch.Redis). The
    /// engine owns the budget it is given and disposes it.
    /// </summary>
    /// <param name="factory">Given the validated options, the clock and the rate-limiting logger, creates the budget.</param>
    /// <returns>This builder.</returns>
    internal BatchEngineBuilder WithRateBudget(Func<BatchOptions, TimeProvider, ILogger, IRateBudget> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _rateBudget = factory;
        return this;
    }

    /// <summary>Adds middleware around the provider; the first added is the outermost of yours.</summary>
    /// <param name="middleware">Given the next handler, returns a handler that wraps it.</param>
    /// <returns>This builder.</returns>
    public BatchEngineBuilder Use(Func<IBatchHandler, IBatchHandler> middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        _middleware.Add(middleware);
        return this;
    }

    /// <summary>Validates the options and builds the engine.</summary>
    /// <returns>The engine.</returns>
    /// <exception cref="BatchOptionsException">An option is out of range; the message lists every problem.</exception>
    public IBatchEngine Build()
    {
        _options.Validate();
        if (_endpoints is not null)
        {
            BatchEndpoint.Validate(_endpoints, _health);
        }

        _reuse?.Validate();
        _cost?.Validate();
        var options = _options;
        var time = _timeProvider;
        var counters = new RunCounters();
        var limitsLogger = _loggerFactory.CreateLogger("LlmBatch.RateLimiting");
        var pool = _endpoints is null ? null : new EndpointPool(_endpoints, options, _health, time, _loggerFactory);
        IAdmissionControl admission = pool ?? (IAdmissionControl)(_rateBudget is null
            ? new ResourceController(options, time, limitsLogger)
            : new ResourceController(options, time, _rateBudget(options, time, limitsLogger), limitsLogger));

        var handler = pool is null ? _provider! : new EndpointDispatchHandler(pool);
        for (var i = _middleware.Count - 1; i >= 0; i--)
        {
            handler = _middleware[i](handler) ?? throw new InvalidOperationException("A middleware returned null.");
        }

        handler = new TelemetryHandler(handler, time);
        handler = new AttemptCounterHandler(handler, counters, time);
        handler = new TimeoutHandler(handler, new AdaptiveTimeout(options, time), time);
        // Several endpoints: the router takes the rate limit's place, each endpoint admitting through its own controller.
        handler = pool is null ? new RateLimitHandler(handler, (ResourceController)admission) : new EndpointRouterHandler(handler, pool);

        // Cost cap: above the rate limit, so attempts waiting there for budget hold their reservation.
        var metered = new MeteredLayers(_cost, _reuse, options, _loggerFactory);
        handler = metered.WrapAttempts(handler);
        handler = new RetryHandler(handler, options, time, new RetryBackoff(options.RetryBaseDelay, options.RetryMaxDelay));

        // Dedupe and response cache: outside retries and rate limits, so an answer they give costs no budget.
        handler = metered.WrapItems(handler);

        // The item deadline bounds everything below it, reuse waits and backoffs included. The run's circuit breaker
        // goes on top, in the engine, which closes it at the start of each run.
        if (options.ItemDeadline is { } deadline)
        {
            handler = new ItemDeadlineHandler(handler, deadline, time);
        }

        return metered.Engine(new BatchEngine(handler, options, time, admission, counters, TokenCounter.Shared, _loggerFactory.CreateLogger("LlmBatch")));
    }
}
