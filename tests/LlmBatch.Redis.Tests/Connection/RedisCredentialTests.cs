using LlmBatch.Redis.Tests.TestSupport;
using StackExchange.Redis;

namespace LlmBatch.Redis.Tests.Connection;

/// <summary>A Redis with a password, reached by <c>llmbatch worker</c> as a child process: the password never shows.</summary>
public class RedisCredentialTests
{
    private const string Password = "Zq7-never-print-me";

    [Fact(Timeout = 60_000)]
    public async Task Worker_WrongPassword_ExitTwoAndPasswordNeverPrinted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StartWithPasswordAsync(ct);

        using var child = CliChild.Start(["worker", "--redis", $"redis://default:wrong-{Password}@{server.Endpoint}", "--once"]);
        var exit = await child.ExitCodeAsync(ct);

        Assert.Equal(2, exit);
        Assert.Contains("refused the credentials", child.Output, StringComparison.Ordinal);
        Assert.Contains("***", child.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, child.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Worker_PasswordFromEnvironment_ConnectsAndNeverPrintsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StartWithPasswordAsync(ct);

        using var child = CliChild.Start(["worker", "--redis", server.Url], ("LLMBATCH_REDIS_PASSWORD", Password));
        while (!child.Output.Contains("looking for jobs", StringComparison.Ordinal))
        {
            Assert.False(child.Process.HasExited, child.Output);
            await Task.Delay(20, ct);
        }

        await child.KillAsync();
        Assert.Contains("looking for jobs in redis://***@", child.Output.Replace(":***@", "***@", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, child.Output, StringComparison.Ordinal);
    }

    private static async Task<RedisTestServer> StartWithPasswordAsync(CancellationToken ct)
    {
        var server = await RedisTestServer.StartAsync(ct);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { server.Endpoint }, AllowAdmin = true });
        await admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "requirepass", Password);
        return server;
    }
}
