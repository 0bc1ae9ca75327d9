using LlmBatch.Cli.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Cli.Tests.Infrastructure;

public sealed class StopSignalsTests
{
    [Fact]
    public void Request_TwoSignalsTogether_OneGracefulStopNoExit()
    {
        using var stop = new CancellationTokenSource();
        var time = new FakeTimeProvider();
        var exits = new List<int>();
        using var signals = new StopSignals(stop, time, exits.Add, register: false);

        signals.Request();
        time.Advance(TimeSpan.FromMilliseconds(5));
        signals.Request();

        Assert.True(stop.IsCancellationRequested);
        Assert.Empty(exits);
    }

    [Fact]
    public void Request_SecondSignalAfterTheInterval_QuitsNowWith130Once()
    {
        using var stop = new CancellationTokenSource();
        var time = new FakeTimeProvider();
        var exits = new List<int>();
        using var signals = new StopSignals(stop, time, exits.Add, register: false);

        signals.Request();
        signals.Request();
        time.Advance(StopSignals.QuitInterval);
        signals.Request();
        signals.Request();

        Assert.Equal([130], exits);
    }
}
