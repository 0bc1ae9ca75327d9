using LlmBatch.Redis.Connection;

namespace LlmBatch.Redis.Tests.Connection;

public class RedisConnectorTests
{
    [Fact]
    public void Short_ClientTimeoutWithDiagnostics_KeepsTheReasonDropsTheCounters()
    {
        const string message = "The message timed out in the backlog attempting to send because no connection became available (5000ms) - Last Connection Exception: UnableToConnect (0-read, 0-sent), v: 3.4.35.20751, command=PING, timeout: 5000, inst: 0, qu: 0";
        Assert.Equal("The message timed out in the backlog attempting to send because no connection became available (5000ms) - Last Connection Exception: UnableToConnect (0-read, 0-sent)", RedisConnector.Short(message));
        Assert.Equal("NOAUTH Authentication required.", RedisConnector.Short("NOAUTH Authentication required.\nmore"));
    }
}
