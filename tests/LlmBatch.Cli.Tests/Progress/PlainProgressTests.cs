using Microsoft.Extensions.Time.Testing;
using LlmBatch.Cli.Progress;

namespace LlmBatch.Cli.Tests.Progress;

public class PlainProgressTests
{
    [Fact]
    public async Task Start_RedirectedWriter_WritesAPlainLineEveryIntervalAndALastOne()
    {
        var time = new FakeTimeProvider();
        var progress = new BatchProgress();
        var output = new StringWriter();

        var display = ProgressDisplay.Start(() => progress, new ProgressTotals { Items = 1000 }, ProgressMode.Auto, output, time, TimeSpan.FromSeconds(5));
        Assert.Equal("", output.ToString());

        progress = new BatchProgress
        {
            Elapsed = TimeSpan.FromSeconds(5),
            Completed = 250,
            Succeeded = 248,
            Failed = 2,
            Attempts = 300,
            Retries = 50,
            RateLimited = 40,
            InFlight = 17,
            WaitingOnLimiter = 9,
            PromptTokens = 40_000,
            CompletionTokens = 10_000,
            RequestsPerMinuteLimit = 3600,
            ConcurrencyLimit = 24,
            ConcurrencyAdapts = true,
        };
        time.Advance(TimeSpan.FromSeconds(5));

        progress = progress with { Elapsed = TimeSpan.FromSeconds(10), Completed = 500, Succeeded = 497, Failed = 3, Attempts = 600 };
        time.Advance(TimeSpan.FromSeconds(5));
        await display.DisposeAsync();

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal(
            "[00:00:05] 250/1,000 (25.0%) ok 248 failed 2 | 3,600 req/min (limit 3,600) 600,000 tok/min | in flight 17/24 adaptive waiting 9 | goodput 2,976/min | 429s 40 retries 50 | mem ",
            lines[0][..lines[0].IndexOf("mem ", StringComparison.Ordinal)] + "mem ");
        Assert.EndsWith("MB | ETA 00:00:15", lines[0].TrimEnd());
        Assert.Contains("500/1,000 (50.0%) ok 497 failed 3 | 3,600 req/min", lines[1], StringComparison.Ordinal);
        Assert.Contains("ETA 00:00:10", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("| finished", lines[2].TrimEnd());
    }

    [Fact]
    public async Task Start_ModeNone_WritesNothing()
    {
        var time = new FakeTimeProvider();
        var output = new StringWriter();
        var display = ProgressDisplay.Start(() => new BatchProgress(), new ProgressTotals(), ProgressMode.None, output, time);
        time.Advance(TimeSpan.FromMinutes(1));
        await display.DisposeAsync();
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public async Task Start_ResumedRun_EarlierItemsCountAsDoneAndEtaCoversTheRest()
    {
        var time = new FakeTimeProvider();
        var totals = new ProgressTotals { Items = 1000 };
        var progress = new BatchProgress();
        var output = new StringWriter();
        var display = ProgressDisplay.Start(() => progress, totals, ProgressMode.Plain, output, time, TimeSpan.FromSeconds(5));

        // The job reports what the output already held once it has read it, after the display started.
        totals.Resumed = 600;
        progress = new BatchProgress { Elapsed = TimeSpan.FromSeconds(10), Completed = 100, Succeeded = 100, Attempts = 100 };
        time.Advance(TimeSpan.FromSeconds(5));
        await display.DisposeAsync();

        var first = output.ToString().Split('\n')[0];
        Assert.StartsWith("[00:00:10] 700/1,000 (70.0%, 600 from an earlier run) ok 100 failed 0", first, StringComparison.Ordinal);

        // 300 left at this run's 10 items/s.
        Assert.EndsWith("| ETA 00:00:30", first.TrimEnd());
    }

    [Fact]
    public async Task Stopping_PlainDisplay_MessageWrittenAndLastLineSaysStopped()
    {
        var time = new FakeTimeProvider();
        var output = new StringWriter();
        var progress = new BatchProgress { Elapsed = TimeSpan.FromSeconds(3), Completed = 40, Succeeded = 40 };
        var display = ProgressDisplay.Start(() => progress, new ProgressTotals { Items = 100 }, ProgressMode.Plain, output, time, TimeSpan.FromSeconds(5));

        display.Stopping("llmbatch: stopping", immediately: false);
        await display.DisposeAsync();

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("llmbatch: stopping", lines[0].TrimEnd());
        Assert.EndsWith("| stopped", lines[^1].TrimEnd());
    }

    [Fact]
    public void ToPlainLine_MemoryGuardPaused_ShowsPauseTime()
    {
        var line = ProgressSnapshot.From(new BatchProgress { Elapsed = TimeSpan.FromSeconds(9), IntakePaused = TimeSpan.FromSeconds(4.2) }, null, new ProgressTotals(), 200L << 20).ToPlainLine();
        Assert.EndsWith("mem 200 MB, intake paused 4.2 s", line);
    }

    [Fact]
    public void Resolve_RichWhenNotATerminal_FallsBackToPlain()
    {
        // Test runs have their output redirected, which is exactly the CI / pipe / nohup case.
        Assert.Equal(ProgressMode.Plain, ProgressDisplay.Resolve(ProgressMode.Rich, plainOutGiven: false));
        Assert.Equal(ProgressMode.Plain, ProgressDisplay.Resolve(ProgressMode.Auto, plainOutGiven: false));
        Assert.Equal(ProgressMode.None, ProgressDisplay.Resolve(ProgressMode.None, plainOutGiven: false));
    }

    [Fact]
    public void ToPlainLine_UnknownTotal_ShowsDoneCountAndNoEta()
    {
        var line = ProgressSnapshot.From(new BatchProgress { Elapsed = TimeSpan.FromSeconds(2), Completed = 7 }, null, new ProgressTotals(), 64L << 20).ToPlainLine();
        Assert.StartsWith("[00:00:02] 7 done ok 0 failed 0", line);
        Assert.EndsWith("mem 64 MB", line);
    }

    [Fact]
    public void ToPlainLine_SeveralEndpoints_EachWithItsRateLimitAndState()
    {
        var before = new BatchProgress { Elapsed = TimeSpan.FromSeconds(60), Endpoints = [new() { Name = "a", Attempts = 100 }, new() { Name = "b", Attempts = 50 }] };
        var now = new BatchProgress
        {
            Elapsed = TimeSpan.FromSeconds(120),
            Endpoints =
            [
                new() { Name = "a", Attempts = 1_300, Succeeded = 1_290, RequestsPerMinuteLimit = 1_200 },
                new() { Name = "b", Attempts = 60, Failed = 10, State = LlmBatch.Endpoints.EndpointState.Out, LastError = "unreachable" },
            ],
        };

        var line = ProgressSnapshot.From(now, before, new ProgressTotals(), 0).ToPlainLine();

        Assert.Contains(" | endpoints: a 1,290 ok 0 failed 0×429 1,200 req/min (limit 1,200); b 0 ok 10 failed 0×429 10 req/min OUT (unreachable)", line, StringComparison.Ordinal);
    }
}
