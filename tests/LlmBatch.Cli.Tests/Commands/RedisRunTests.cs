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
}
