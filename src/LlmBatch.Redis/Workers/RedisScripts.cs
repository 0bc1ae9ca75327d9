using StackExchange.Redis;

namespace LlmBatch.Redis.Workers;

/// <summary>
/// The two steps of a worker that must be atomic, as Lua scripts (StackExchange.Redis sends them by SHA and again in
/// full after a server restart emptied its script cache).
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// Publishes a result and acknowledges its item in one step: if the item is still pending (nobody published it
    /// yet), its line goes to the results stream and the item is acknowledged and deleted; otherwise another worker
    /// answered it first (after taking it over) and this answer is dropped. The worker's counts move in the same step,
    /// so the owner's per-worker figures are exact. Returns 1 when published, 0 when dropped.
    /// KEYS: items, results, counts. ARGV: group, entry id, custom_id, line, worker, 1 when the result is a failure.
    /// </summary>
    public const string Publish = """
        if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 1 then
          redis.call('XADD', KEYS[2], '*', 'c', ARGV[3], 'l', ARGV[4], 'w', ARGV[5])
          redis.call('XDEL', KEYS[1], ARGV[2])
          redis.call('HINCRBY', KEYS[3], ARGV[5] .. ':done', 1)
          if ARGV[6] == '1' then
            redis.call('HINCRBY', KEYS[3], ARGV[5] .. ':failed', 1)
          end
          return 1
        end
        redis.call('HINCRBY', KEYS[3], ARGV[5] .. ':dup', 1)
        return 0
        """;

    /// <summary>
    /// Renews (IDLE 0) or releases (a long IDLE, so others take it at once) the claims of one worker, only on the items
    /// it still owns: an item another worker took over is left to it. Returns how many of the ids it no longer owns.
    /// KEYS: items. ARGV: group, consumer, idle ms, ids…
    /// </summary>
    public const string Renew = """
        local lost = 0
        for i = 4, #ARGV do
          local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
          if #p == 1 and p[1][2] == ARGV[2] then
            redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'IDLE', ARGV[3], 'JUSTID')
          else
            lost = lost + 1
          end
        end
        return lost
        """;

    /// <summary>Creates a consumer group at the start of the stream (and the stream), leaving an existing one alone.</summary>
    public static async Task CreateGroupAsync(IDatabase db, RedisKey stream, string group)
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(stream, group, "0-0", createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }
}
