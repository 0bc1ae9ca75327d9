using StackExchange.Redis;

namespace LlmBatch.Redis.Connection;

/// <summary>
/// Connects to the server of a <see cref="RedisUrl"/> and checks it can serve a job: it answers within the connect
/// allowance, and it is Redis (or Valkey) 6.2 or newer, for <c>XAUTOCLAIM</c>.
/// </summary>
internal static class RedisConnector
{
    /// <summary>The oldest server with what the queue needs (Streams consumer groups and XAUTOCLAIM).</summary>
    public static readonly Version MinimumVersion = new(6, 2);

    /// <summary>Connects, waiting up to <paramref name="allowance"/> for the server to answer.</summary>
    /// <exception cref="RedisUnavailableException">It did not answer in time (<see cref="RedisUnavailableException.BeforeStart"/> is true).</exception>
    /// <exception cref="BatchOptionsException">The server is older than 6.2.</exception>
    public static async Task<IConnectionMultiplexer> ConnectAsync(RedisUrl url, TimeSpan allowance, TimeProvider time, CancellationToken cancellationToken)
    {
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(url.ToOptions(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        try
        {
            var started = time.GetTimestamp();
            Exception? last = null;
            while (time.GetElapsedTime(started) < allowance)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    await multiplexer.GetDatabase().PingAsync().ConfigureAwait(false);
                    CheckVersion(url, multiplexer);
                    return multiplexer;
                }
                catch (Exception ex) when (IsRefused(ex))
                {
                    throw new BatchOptionsException([$"Redis at {url.Display} refused the credentials ({url.Mask(Short(ex.Message))}); give the user and password in the URL or the password in {RedisUrl.PasswordVariable}. Nothing was sent."]);
                }
                catch (Exception ex) when (RedisOutage.IsTransient(ex))
                {
                    last = ex;
                    await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken).ConfigureAwait(false);
                }
            }

            throw new RedisUnavailableException(
                $"Redis at {url.Display} cannot be reached ({url.Mask(last is null ? "no answer" : Short(last.Message))}); nothing was enqueued or sent.",
                beforeStart: true,
                last);
        }
        catch
        {
            await multiplexer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>True when the server refused the credentials (a wrong password is no outage: waiting does not help).</summary>
    public static bool IsRefused(Exception ex) =>
        ex is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure }
        || ex.Message.Contains("WRONGPASS", StringComparison.Ordinal)
        || ex.Message.Contains("NOAUTH", StringComparison.Ordinal)
        || ex.Message.Contains("NOPERM", StringComparison.Ordinal)
        || ex.InnerException is { } inner && IsRefused(inner);

    private static void CheckVersion(RedisUrl url, ConnectionMultiplexer multiplexer)
    {
        foreach (var server in multiplexer.GetServers())
        {
            if (server.IsConnected && server.Version < MinimumVersion)
            {
                throw new BatchOptionsException([$"Redis at {url.Display} is version {server.Version}; the job queue needs Redis (or Valkey) {MinimumVersion} or newer, for XAUTOCLAIM. Nothing was sent."]);
            }
        }
    }

    /// <summary>
    /// The client's first line, without the diagnostic dump StackExchange.Redis appends from ", v: " on (thread pool,
    /// queue and version counters: a screenful that buried the reason, "UnableToConnect").
    /// </summary>
    internal static string Short(string message)
    {
        var line = message.Split('\n')[0];
        var dump = line.IndexOf(", v: ", StringComparison.Ordinal);
        return dump > 0 ? line[..dump] : line;
    }
}
