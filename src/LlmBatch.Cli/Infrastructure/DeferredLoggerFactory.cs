using Microsoft.Extensions.Logging;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// A logger factory that builds the real one (<see cref="CliLogging"/>: ZLogger behind Microsoft.Extensions.Logging's
/// factory and its DI container) on the first message that passes the level. Most runs log nothing at the default
/// level (warnings), and building it cost a one-item run about 10 ms of CPU for loggers that never wrote.
/// </summary>
internal sealed class DeferredLoggerFactory(LogLevel minimum, Func<ILoggerFactory> create) : ILoggerFactory
{
    private readonly LogLevel _minimum = minimum;
    private readonly Lazy<ILoggerFactory> _real = new(create, LazyThreadSafetyMode.ExecutionAndPublication);

    public ILogger CreateLogger(string categoryName) => new DeferredLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => _real.Value.AddProvider(provider);

    public void Dispose()
    {
        if (_real.IsValueCreated)
        {
            _real.Value.Dispose();
        }
    }

    private sealed class DeferredLogger(DeferredLoggerFactory factory, string category) : ILogger
    {
        private ILogger? _real;

        private ILogger Real => _real ??= factory._real.Value.CreateLogger(category);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= factory._minimum;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => Real.BeginScope(state);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Real.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
