using LlmBatch.Redis.Connection;

namespace LlmBatch.Redis.Tests.Connection;

public class RedisUrlTests
{
    [Fact]
    public void Parse_UserPasswordHostPortDb_EverythingReadAndPasswordMasked()
    {
        var url = RedisUrl.Parse("rediss://alice:p%40ss-word-9@queue.example:6380/3", _ => null);

        Assert.True(url.Tls);
        Assert.Equal("alice", url.User);
        Assert.Equal(3, url.Database);
        Assert.Equal("rediss://alice:***@queue.example:6380/3", url.Display);
        Assert.DoesNotContain("p@ss-word-9", url.ToString(), StringComparison.Ordinal);
        Assert.Equal("auth failed for *** here", url.Mask("auth failed for p@ss-word-9 here"));
        var options = url.ToOptions(TimeSpan.FromSeconds(5));
        Assert.True(options.Ssl);
        Assert.Equal("p@ss-word-9", options.Password);
        Assert.Equal("alice", options.User);
    }

    [Fact]
    public void Parse_NoPasswordInUrl_TakenFromTheEnvironmentAndNeverShown()
    {
        var url = RedisUrl.Parse("redis://127.0.0.1", name => name == RedisUrl.PasswordVariable ? "from-env-secret" : null);

        Assert.Equal("redis://***@127.0.0.1:6379", url.Display.Replace(":***@", "***@", StringComparison.Ordinal));
        Assert.Equal("from-env-secret", url.ToOptions(TimeSpan.FromSeconds(1)).Password);
        Assert.DoesNotContain("from-env-secret", url.Display, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://user:topsecret@host:6379")]
    [InlineData("redis://user:topsecret@host:6379/notadb")]
    [InlineData("user:topsecret@host")]
    public void Parse_NotARedisUrl_OneLineErrorWithoutThePassword(string text)
    {
        var ex = Assert.Throws<BatchOptionsException>(() => RedisUrl.Parse(text, _ => null));

        Assert.DoesNotContain("topsecret", ex.Message, StringComparison.Ordinal);
        Assert.Contains("redis://", ex.Message, StringComparison.Ordinal);
    }
}
