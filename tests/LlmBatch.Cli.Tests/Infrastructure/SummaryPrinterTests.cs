using LlmBatch.Cli.Infrastructure;
using LlmBatch.Input;
using LlmBatch.Reporting;

namespace LlmBatch.Cli.Tests.Infrastructure;

public class SummaryPrinterTests
{
    private static RunSummary Summary() => new()
    {
        WallTime = TimeSpan.FromSeconds(215),
        Total = 443,
        Succeeded = 440,
        Failed = 3,
        FailedByCode = new Dictionary<string, long> { ["http_500"] = 3 },
        Attempts = 470,
        Retries = 27,
        RateLimited = 9,
        PromptTokens = 7_000,
        CompletionTokens = 22_000,
        RequestsPerSecond = 9.9,
        TokensPerSecond = 600,
        LatencyP50Ms = 405,
        LatencyP95Ms = 614,
        LatencyP99Ms = 764,
        LatencyMaxMs = 61_000,
        RequestsPerMinuteLimit = 600,
        PeakMemoryBytes = 146L << 20,
        IntakePausedTime = TimeSpan.FromSeconds(4),
    };

    private static BatchJobResult Result(bool interrupted) => new()
    {
        Summary = Summary(),
        Validation = new BatchValidationReport("in.jsonl", 643, 643, 0, new Dictionary<string, long>(), new Dictionary<string, long>(), 0, 0, [], 0, TimeSpan.Zero),
        Skipped = 200,
        Remaining = interrupted ? 1_357 : 0,
        Interrupted = interrupted,
        FailedInOutput = 3,
    };

    [Fact]
    public void Format_Stopped_SaysWhatFinishedWhatIsLeftAndHowToResume()
    {
        var text = SummaryPrinter.Format(Result(interrupted: true), "out.jsonl");
        var first = text.Split('\n')[0];
        Assert.Equal("Stopped after 3 min 35 s: 443 item(s) finished this run (440 succeeded, 3 failed), 200 done by an earlier run, 1,357 left; rerun the same command to resume", first);
    }

    [Fact]
    public void Format_Done_RatesPerMinuteBesideTheLimitAndMemoryLine()
    {
        var text = SummaryPrinter.Format(Result(interrupted: false), "out.jsonl");
        Assert.StartsWith("Done in 3 min 35 s: 443 item(s) this run, 440 succeeded, 3 failed; 200 done by an earlier run", text, StringComparison.Ordinal);
        Assert.Contains("  rate      594 requests/min (limit 600), 36,000 tokens/min\n", text, StringComparison.Ordinal);
        Assert.Contains("max 1 min 01 s", text, StringComparison.Ordinal);
        Assert.Contains("  memory    peak 146 MB, intake paused 4 s to stay under --max-memory\n", text, StringComparison.Ordinal);
        Assert.Contains("  failed    http_500 3\n", text, StringComparison.Ordinal);
    }
}
