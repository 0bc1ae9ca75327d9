using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace LlmBatch.Redis.Tests.TestSupport;

/// <summary>One private redis-server for a test class; tests keep apart by key prefix.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisTestServer? _server;
    private ConnectionMultiplexer? _redis;

    /// <summary>The server.</summary>
    public RedisTestServer Server => _server ?? throw new InvalidOperationException("not started");

    /// <summary>A connection to it, shared by the class's tests.</summary>
    public ConnectionMultiplexer Redis => _redis ?? throw new InvalidOperationException("not started");

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        _server = await RedisTestServer.StartAsync();
        _redis = await Connect(_server);
    }

    /// <summary>
    /// A connection that rides out a server restart the way a worker's should: it does not give up at start, fails
    /// commands at once while disconnected (rather than queueing them), and reconnects every 100 ms.
    /// </summary>
    public static Task<ConnectionMultiplexer> Connect(RedisTestServer server)
    {
        var config = ConfigurationOptions.Parse(server.Endpoint);
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = 1000;
        config.AsyncTimeout = 1000;
        config.SyncTimeout = 1000;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ReconnectRetryPolicy = new LinearRetry(100);
        return ConnectionMultiplexer.ConnectAsync(config);
    }

    /// <summary>A connection to a loopback port nobody listens on: Redis down from the start.</summary>
    public static Task<ConnectionMultiplexer> ConnectNowhereAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var config = ConfigurationOptions.Parse($"127.0.0.1:{port}");
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = 200;
        return ConnectionMultiplexer.ConnectAsync(config);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
