using StackExchange.Redis;

namespace LlmBatch.Redis.Tests.TestSupport;

public class RedisTestServerTests
{
    [Fact]
    public async Task StartAsync_FreshServer_AnswersAndKeepsDataAcrossAKill()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisTestServer.StartAsync(ct);
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(server.Endpoint))
        {
            var db = redis.GetDatabase();
            await db.StreamAddAsync("s", "k", "v");
            Assert.Equal(1, await db.StreamLengthAsync("s"));
        }

        await server.KillAsync();
        await server.StartAgainAsync(ct);
        await using var again = await ConnectionMultiplexer.ConnectAsync(server.Endpoint);
        Assert.Equal(1, await again.GetDatabase().StreamLengthAsync("s"));
    }
}
