namespace LlmBatch.Cli.Tests.Commands;

/// <summary>The flags of the Redis scale-out refused before anything is sent (the Redis tests run the rest against a real server).</summary>
public sealed class RedisRunTests : TempDirTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("--mode", "batch", "--mode batch|auto")]
    [InlineData("--max-cost", "5", "--max-cost or --cache")]
    [InlineData("--lease", "0s", "--lease")]
    public async Task Run_RedisWithAFlagItCannotHonour_ExitTwoNamingIt(string flag, string value, string named)
    {
        var input = Path.Combine(Dir, "in.jsonl");
        File.WriteAllText(input, """{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}}""" + "\n");

        var (exit, _, stderr) = await CliProcess.RunAsync(["run", input, "--base-url", "http://127.0.0.1:9/v1", "--redis", "redis://u:pw-secret-1@127.0.0.1:9", flag, value], Ct);

        Assert.Equal(2, exit);
        Assert.Contains(named, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("pw-secret-1", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_NoRedis_ExitTwoSayingItIsRequired()
    {
        var (exit, _, stderr) = await CliProcess.RunAsync(["worker"], Ct);

        Assert.Equal(2, exit);
        Assert.Contains("--redis is required", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportWorkers_SilentPastTheLease_LostUnlessItLeft()
    {
        var now = new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
        LlmBatch.Redis.Workers.RedisWorkerStatus[] workers =
        [
            new() { WorkerId = "a", Host = "h", ProcessId = 1, Done = 5, RatePerSecond = 2.5, LastSeen = now.AddSeconds(-1) },
            new() { WorkerId = "b", LastSeen = now.AddSeconds(-31) },
            new() { WorkerId = "c", LastSeen = now.AddMinutes(-5), Left = true },
        ];

        var rows = LlmBatch.Cli.Commands.RedisRun.ReportWorkers(workers, now, TimeSpan.FromSeconds(30));

        Assert.Equal([(false, false), (true, false), (false, true)], rows.Select(r => (r.Lost, r.Left)));
        Assert.Equal(("a", "h", 1, 5L, 2.5), (rows[0].Id, rows[0].Host, rows[0].ProcessId, rows[0].Done, rows[0].ItemsPerSecond));
    }
}
