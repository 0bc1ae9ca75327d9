using LlmBatch.Cli.Infrastructure;
using Microsoft.Extensions.Logging;

namespace LlmBatch.Cli.Tests.Infrastructure;

public sealed class DeferredLoggerFactoryTests
{
    [Fact]
    public void Log_BelowTheMinimum_NeverBuildsTheRealFactory()
    {
        var built = 0;
        using var factory = new DeferredLoggerFactory(LogLevel.Warning, () =>
        {
            built++;
            return new RecordingFactory();
        });

        var logger = factory.CreateLogger("LlmBatch");
        logger.LogInformation("learned a limit");
        logger.LogDebug("paused");

        Assert.False(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Warning));
        Assert.False(logger.IsEnabled(LogLevel.None));
        Assert.Equal(0, built);
    }

    [Fact]
    public void Log_AtTheMinimum_BuildsOnceAndForwardsWithTheCategory()
    {
        var real = new RecordingFactory();
        var built = 0;
        var factory = new DeferredLoggerFactory(LogLevel.Warning, () =>
        {
            built++;
            return real;
        });

        factory.CreateLogger("LlmBatch.RateLimiting").LogWarning("a {What}", "pause");
        factory.CreateLogger("LlmBatch").LogError("failed");
        factory.Dispose();

        Assert.Equal(1, built);
        Assert.Equal(["LlmBatch.RateLimiting Warning a pause", "LlmBatch Error failed"], real.Lines);
        Assert.True(real.Disposed);
    }

    private sealed class RecordingFactory : ILoggerFactory
    {
        public List<string> Lines { get; } = [];

        public bool Disposed { get; private set; }

        public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public void Dispose() => Disposed = true;

        private sealed class Recorder(RecordingFactory owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Lines.Add($"{category} {logLevel} {formatter(state, exception)}");
        }
    }
}
