using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmBatch;

/// <summary>
/// Builds an <see cref="IBatchEngine"/> over a provider. Middleware added with <see cref="Use"/> wraps the provider
/// and sees every attempt; LlmBatch's own layers (retry, rate limit, timeout, telemetry) wrap all of them:
/// <c>retry → rate limit → attempt timeout → counters → telemetry → your middleware (first added outermost) → provider</c>.
/// </summary>
public sealed class BatchEngineBuilder
{
    private readonly IBatchHandler _provider;
    private readonly List<Func<IBatchHandler, IBatchHandler>> _middleware = [];
    private BatchOptions _options = new();
    private TimeProvider _timeProvider = TimeProvider.System;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;

    /// <summary>Starts a builder over a provider (see <see cref="BatchProviders"/>).</summary>
    /// <param name="provider">The handler that sends one attempt to the model.</param>
    public BatchEngineBuilder(IBatchHandler provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _provider = provider;
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
        var options = _options;
        var time = _timeProvider;
        var counters = new RunCounters();
        var controller = new ResourceController(options, time, _loggerFactory.CreateLogger("LlmBatch.RateLimiting"));

        var handler = _provider;
        for (var i = _middleware.Count - 1; i >= 0; i--)
        {
            handler = _middleware[i](handler) ?? throw new InvalidOperationException("A middleware returned null.");
        }

        handler = new TelemetryHandler(handler, time);
        handler = new AttemptCounterHandler(handler, counters, time);
        handler = new TimeoutHandler(handler, new AdaptiveTimeout(options, time), time);
        handler = new RateLimitHandler(handler, controller);
        handler = new RetryHandler(handler, options, time, new RetryBackoff(options.RetryBaseDelay, options.RetryMaxDelay));

        return new BatchEngine(handler, options, time, controller, counters, TokenCounter.Shared, _loggerFactory.CreateLogger("LlmBatch"));
    }
}
