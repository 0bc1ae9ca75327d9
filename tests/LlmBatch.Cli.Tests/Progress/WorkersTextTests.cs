using LlmBatch.Cli.Progress;
using LlmBatch.Redis.Workers;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Cli.Tests.Progress;

public class WorkersTextTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static RedisWorkerStatus Worker(string id, long done, TimeSpan silent, bool left = false) => new()
    {
        WorkerId = id,
        Host = "host",
        Done = done,
        Failed = 2,
        Errors = 1,
        RatePerSecond = 12.34,
        LastSeen = Now - silent,
        Left = left,
    };

    [Fact]
    public void Describe_SeenWithinTheLease_ItemsRateErrorsAndLastSeenWithoutState()
    {
        var text = WorkersText.Describe(Worker("b-42-x", 1_203, TimeSpan.FromSeconds(3)), Now, Lease);

        Assert.Equal("b-42-x 1,203 done 2 failed 12.3/s 1 errors seen 3 s ago", text);
    }

    [Fact]
    public void Describe_SilentLongerThanTheLease_MarkedLost()
    {
        var text = WorkersText.Describe(Worker("c-7-y", 10, TimeSpan.FromSeconds(31)), Now, Lease);

        Assert.EndsWith("seen 31 s ago LOST", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_LeftLongAgo_MarkedLeftNotLost()
    {
        var text = WorkersText.Describe(Worker("d-1-z", 10, TimeSpan.FromMinutes(5), left: true), Now, Lease);

        Assert.EndsWith("seen 00:05:00 ago left", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_IdWithControlCharacters_Escaped()
    {
        var text = WorkersText.Describe(Worker("evil\u001b[2J", 1, TimeSpan.Zero), Now, Lease);

        Assert.DoesNotContain('\u001b', text);
    }

    [Fact]
    public async Task PlainProgress_Workers_LastLineListsEachWorker()
    {
        var time = new FakeTimeProvider();
        var output = new StringWriter();
        var workers = new[] { Worker("a-1-p", 5, TimeSpan.FromSeconds(1)), Worker("b-2-q", 6, TimeSpan.FromMinutes(1)) };
        var display = ProgressDisplay.Start(
            () => new BatchProgress { Elapsed = TimeSpan.FromSeconds(10), Completed = 11 }, new ProgressTotals { Items = 20 }, ProgressMode.Plain, output, time,
            TimeSpan.FromSeconds(5), () => WorkersText.Parts(workers, Now, Lease));

        await display.DisposeAsync();

        Assert.Contains(" | workers: a-1-p 5 done 2 failed 12.3/s 1 errors seen 1 s ago; b-2-q 6 done 2 failed 12.3/s 1 errors seen 60 s ago LOST", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(80, 3)]
    [InlineData(120, 12)]
    public async Task RichProgress_Workers_OneRowEachUpToTheCapNoLineWiderThanTheTerminal(int width, int count)
    {
        var (console, output) = RichProgressTests.Terminal(width);
        var workers = Enumerable.Range(0, count)
            .Select(i => Worker($"machine-number-{i}-with-a-long-host-name-{i * 1000}-abcdef", 100_000 + i, TimeSpan.FromSeconds(i == 1 ? 45 : 2)))
            .ToArray();
        var view = new RichProgress(
            () => new BatchProgress { Elapsed = TimeSpan.FromSeconds(30), Completed = 300 }, new ProgressTotals { Items = 1000 }, console, () => 150L << 20,
            () => WorkersText.Parts(workers, Now, Lease));

        await view.DisposeAsync();

        var text = output.ToString();
        var lines = text[text.LastIndexOf('╭')..].Split('\n');
        Assert.All(lines, line => Assert.True(line.TrimEnd('\r').Length <= width, $"{line.Length} > {width}: {line}"));
        var shown = Math.Min(count, 8);
        var rows = lines.Count(line => line.Contains("machine-number-", StringComparison.Ordinal));
        Assert.Equal(count > 8 ? shown - 1 : shown, rows);
        if (count > 8)
        {
            Assert.Single(lines, line => line.Contains($"+{count - 7} more workers", StringComparison.Ordinal));
        }

        if (width >= 120)
        {
            Assert.Single(lines, line => line.Contains("machine-number-1-", StringComparison.Ordinal) && line.Contains("LOST", StringComparison.Ordinal));
        }
    }
}
