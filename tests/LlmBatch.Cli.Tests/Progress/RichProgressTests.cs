using LlmBatch.Cli.Progress;
using Spectre.Console;

namespace LlmBatch.Cli.Tests.Progress;

public class RichProgressTests
{
    internal static (IAnsiConsole Console, StringWriter Output) Terminal(int width = 120)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.Yes,
        });
        console.Profile.Width = width;
        return (console, output);
    }

    private static BatchProgress Running() => new()
    {
        Elapsed = TimeSpan.FromSeconds(30),
        Completed = 300,
        Succeeded = 297,
        Failed = 3,
        Attempts = 340,
        Retries = 40,
        RateLimited = 12,
        InFlight = 6,
        WaitingOnLimiter = 250,
        PromptTokens = 9_000,
        CompletionTokens = 18_000,
        RequestsPerMinuteLimit = 600,
        IntakePaused = TimeSpan.FromSeconds(2),
    };

    [Fact]
    public async Task DisposeAsync_Finished_LastFrameShowsEveryFigure()
    {
        var (console, output) = Terminal();
        var progress = Running() with { Completed = 1000, Succeeded = 997, InFlight = 0, WaitingOnLimiter = 0 };
        var view = new RichProgress(() => progress, new ProgressTotals { Items = 1000 }, console, () => 150L << 20);

        await view.DisposeAsync();

        var text = output.ToString();
        foreach (var figure in new[]
        {
            "llmbatch · finished", "1,000 / 1,000", "100.0%", "ok 997", "failed 3", "429s 12", "retries 40",
            "req/min (limit 600)", "tok/min", "in flight 0", "waiting on limiter 0", "elapsed 00:00:30", "ETA —",
            "memory 150 MB", "intake paused 2.0 s",
        })
        {
            Assert.Contains(figure, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Stopping_BeforeEveryItemIsDone_LastFrameSaysStoppedWithEarlierRunCounted()
    {
        var (console, output) = Terminal();
        var totals = new ProgressTotals { Items = 2000, Resumed = 500 };
        var view = new RichProgress(Running, totals, console, () => 150L << 20);

        view.Stopping("llmbatch: stopping", immediately: false);
        await view.DisposeAsync();

        var text = output.ToString();
        Assert.Contains("llmbatch · stopped", text, StringComparison.Ordinal);
        Assert.Contains("800 / 2,000", text, StringComparison.Ordinal);
        Assert.Contains("(500 from an earlier run)", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(80)]
    [InlineData(100)]
    [InlineData(160)]
    public async Task DisposeAsync_AnyTerminalWidth_NoFigureWrappedAndNoLineWiderThanTheTerminal(int width)
    {
        var (console, output) = Terminal(width);
        var progress = Running() with { RequestsPerMinuteLimit = 12_000, TokensPerMinuteLimit = 2_000_000, WaitingOnLimiter = 1_250 };
        var view = new RichProgress(() => progress, new ProgressTotals { Items = 100_000 }, console, () => 1500L << 20);

        await view.DisposeAsync();

        // Without ANSI the frames are written one after the other; the last one starts at the last top-left corner.
        var text = output.ToString();
        var lines = text[text.LastIndexOf('╭')..].Split('\n');
        Assert.All(lines, line => Assert.True(line.TrimEnd('\r').Length <= width, $"{line.Length} > {width}: {line}"));
        foreach (var figure in new[] { "req/min (limit 12,000)", "tok/min (limit 2,000,000)", "waiting on limiter 1,250", "memory 1500 MB", "intake paused 2.0 s" })
        {
            Assert.Single(lines, line => line.Contains(figure, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task DisposeAsync_SeveralEndpoints_OneCellEachWithItsStateAndNoLineWiderThanTheTerminal()
    {
        var (console, output) = Terminal(100);
        var progress = Running() with
        {
            Endpoints =
            [
                new LlmBatch.Endpoints.EndpointProgress { Name = "east", Attempts = 200, Succeeded = 198, RateLimited = 2, RequestsPerMinuteLimit = 1_200 },
                new LlmBatch.Endpoints.EndpointProgress { Name = "west", Attempts = 140, Succeeded = 99, Failed = 41, State = LlmBatch.Endpoints.EndpointState.Out, LastError = "HTTP 500" },
            ],
        };
        var view = new RichProgress(() => progress, new ProgressTotals { Items = 1000 }, console, () => 150L << 20);

        await view.DisposeAsync();

        var text = output.ToString();
        var lines = text[text.LastIndexOf('╭')..].Split('\n');
        Assert.All(lines, line => Assert.True(line.TrimEnd('\r').Length <= 100, $"{line.Length} > 100: {line}"));
        Assert.Single(lines, line => line.Contains("east 198 ok 0 failed 2×429", StringComparison.Ordinal));
        Assert.Single(lines, line => line.Contains("west 99 ok 41 failed 0×429", StringComparison.Ordinal) && line.Contains("OUT (HTTP 500)", StringComparison.Ordinal));
    }
}
