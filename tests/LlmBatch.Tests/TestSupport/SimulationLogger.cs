using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.TestSupport;

/// <summary>Sends the controller's debug lines, stamped with fake time, to <see cref="SimulationLog"/>'s file when <c>LLMBATCH_SIMULATION_LOG_DEBUG</c> is set.</summary>
internal sealed class SimulationLogger(FakeTimeProvider time, ITestOutputHelper output, DateTimeOffset start) : ILogger
{
    public static ILogger? For(FakeTimeProvider time, ITestOutputHelper output) =>
        Environment.GetEnvironmentVariable("LLMBATCH_SIMULATION_LOG_DEBUG") is { Length: > 0 } ? new SimulationLogger(time, output, time.GetUtcNow()) : null;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        SimulationLog.Write(output, $"  [{(time.GetUtcNow() - start).TotalSeconds:0.000}] {formatter(state, exception)}");
}
