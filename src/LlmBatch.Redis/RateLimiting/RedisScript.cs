using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace LlmBatch.Redis.RateLimiting;

/// <summary>
/// A Lua script run by its SHA-1 (<c>EVALSHA</c>: the text crosses the wire once), sent whole with <c>EVAL</c> only
/// when the server does not know it yet: at first use, and after a restart or a <c>SCRIPT FLUSH</c> emptied its cache
/// (<c>NOSCRIPT</c>). <c>EVAL</c> caches the script, so the next call goes by SHA-1 again.
/// </summary>
internal sealed class RedisScript
{
    private readonly byte[] _sha1;

    /// <summary>Creates the script from its text.</summary>
    /// <param name="text">The Lua source.</param>
    public RedisScript(string text)
    {
        Text = text;
        // Not a security use: SHA-1 is how Redis names a cached script.
#pragma warning disable CA5350
        _sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350
    }

    /// <summary>The Lua source.</summary>
    public string Text { get; }

    /// <summary>Runs the script: one round trip, two only when the server has to learn it.</summary>
    /// <param name="database">The database.</param>
    /// <param name="keys">KEYS.</param>
    /// <param name="values">ARGV.</param>
    /// <returns>The script's reply.</returns>
    public async Task<RedisResult> EvaluateAsync(IDatabaseAsync database, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await database.ScriptEvaluateAsync(_sha1, keys, values).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await database.ScriptEvaluateAsync(Text, keys, values).ConfigureAwait(false);
        }
    }
}
