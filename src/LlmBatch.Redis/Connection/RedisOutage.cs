using StackExchange.Redis;

namespace LlmBatch.Redis.Connection;

/// <summary>
/// Runs Redis calls through an outage: a call that fails because the server is unreachable, restarting (LOADING) or
/// slow is tried again with a growing pause (50 ms doubling to 2 s) while the client reconnects on its own; once the
/// server has not answered for <see cref="Allowance"/>, the call throws <see cref="RedisUnavailableException"/>, and
/// the caller stops with what it has. One instance per loop: it remembers when the current outage began.
/// </summary>
internal sealed class RedisOutage
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(2);

    private readonly RedisUrl _url;
    private readonly TimeProvider _time;
    private readonly Action<string>? _log;
    private long _since = -1;
    private int _recoveries;

    public RedisOutage(RedisUrl url, TimeSpan allowance, TimeProvider time, Action<string>? log)
    {
        _url = url;
        Allowance = allowance;
        _time = time;
        _log = log;
    }

    /// <summary>
    /// How many outages this loop has come through. A read whose answer was lost with the connection may still have
    /// taken effect (entries delivered to this consumer and never seen): after an outage, readers look at their own
    /// pending entries again.
    /// </summary>
    public int Recoveries => Volatile.Read(ref _recoveries);

    /// <summary>How long the server may stay away before the loop gives up.</summary>
    public TimeSpan Allowance { get; }

    /// <summary>True for the errors an outage causes (and so worth waiting out), false for a real error of the call.</summary>
    public static bool IsTransient(Exception ex) =>
        ex is RedisConnectionException or RedisTimeoutException or TimeoutException
        || (ex is RedisServerException server && (server.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)));

    /// <summary>Runs <paramref name="call"/>, waiting out an outage.</summary>
    /// <exception cref="RedisUnavailableException">The server stayed away longer than <see cref="Allowance"/>.</exception>
    public async Task<T> RunAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var pause = FirstPause;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var result = await call().ConfigureAwait(false);
                if (_since >= 0)
                {
                    _log?.Invoke($"Redis at {_url.Display} answers again after {_time.GetElapsedTime(_since).TotalSeconds:0.0} s; going on.");
                    _since = -1;
                    Interlocked.Increment(ref _recoveries);
                }

                return result;
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                if (_since < 0)
                {
                    _since = _time.GetTimestamp();
                    _log?.Invoke($"Redis at {_url.Display} does not answer ({_url.Mask(FirstLine(ex.Message))}); retrying for up to {Allowance.TotalSeconds:0} s.");
                }
                else if (_time.GetElapsedTime(_since) >= Allowance)
                {
                    throw new RedisUnavailableException(
                        $"Redis at {_url.Display} has not answered for {Allowance.TotalSeconds:0} s ({_url.Mask(FirstLine(ex.Message))}); the job is kept in Redis and the same command resumes it once Redis is back.",
                        beforeStart: false,
                        ex);
                }

                await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
            }
        }
    }

    /// <summary>Runs <paramref name="call"/>, waiting out an outage.</summary>
    public Task RunAsync(Func<Task> call, CancellationToken cancellationToken) =>
        RunAsync(async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        }, cancellationToken);

    private static string FirstLine(string message)
    {
        var cut = message.IndexOfAny(['\r', '\n']);
        return cut < 0 ? message : message[..cut];
    }
}
