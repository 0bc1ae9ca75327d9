using LlmBatch.Cli.Tests.Commands;

namespace LlmBatch.Cli.Tests;

/// <summary>
/// Only the command named first is registered with Spectre (its model is most of start-up): the full help, a command's
/// help and a mistyped name must read as they did with every command registered.
/// </summary>
public class CliAppHelpTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Help_NoCommandNamed_ListsEveryCommandAndBranch()
    {
        var (code, stdout, _) = await CliProcess.RunAsync(["--help"], Ct);

        Assert.Equal(0, code);
        foreach (var command in new[] { "prepare", "classify", "merge", "run", "worker", "simulate", "validate", "report", "cache", "batches" })
        {
            Assert.Contains(" " + command + " ", stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Help_OfOneCommand_ShowsItsOwnOptions()
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync(["run", "--help"], Ct);
        var (workerCode, workerOut, _) = await CliProcess.RunAsync(["worker", "--help"], Ct);
        var (branchCode, branchOut, _) = await CliProcess.RunAsync(["cache", "--help"], Ct);

        // The --redis text has brackets, which Spectre read as a style: help of run and worker failed before.
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains("--max-concurrency", stdout, StringComparison.Ordinal);
        Assert.Contains("--no-dedupe", stdout, StringComparison.Ordinal);
        Assert.Contains("redis://[user:password@]host:6379[/db]", stdout, StringComparison.Ordinal);
        Assert.Equal(0, workerCode);
        Assert.Contains("redis://[user:password@]host:6379[/db]", workerOut, StringComparison.Ordinal);
        Assert.Equal(0, branchCode);
        Assert.Contains("stats", branchOut, StringComparison.Ordinal);
        Assert.Contains("clear", branchOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MistypedCommand_SuggestsTheNearestOne()
    {
        var (code, _, stderr) = await CliProcess.RunAsync(["runn", "x.jsonl"], Ct);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("run", stderr, StringComparison.Ordinal);
    }
}
