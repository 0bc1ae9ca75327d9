using LlmBatch.Caching;
using Microsoft.Data.Sqlite;

namespace LlmBatch.Sqlite;

/// <summary>
/// The cache file's schema and every statement run on it. One table of answers keyed by the 16-byte request key, with
/// when each was stored and last used (unix milliseconds) for least-recently-used eviction; <c>user_version</c> marks
/// the file as ours (version 1).
/// </summary>
internal static class CacheSchema
{
    public const int Version = 1;

    private const string CreateTable = """
        CREATE TABLE IF NOT EXISTS answers (
            key        BLOB    NOT NULL UNIQUE,
            status     INTEGER NOT NULL,
            body       BLOB    NOT NULL,
            request_id TEXT,
            model      TEXT    NOT NULL,
            origin_id  TEXT    NOT NULL,
            origin_run BLOB    NOT NULL,
            created    INTEGER NOT NULL,
            used       INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS answers_used ON answers (used);
        """;

    public static void Create(SqliteConnection connection, string path)
    {
        var version = Scalar(connection, "PRAGMA user_version;");
        var tables = Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE type = 'table';");
        if (version == 0 && tables > 0)
        {
            throw new BatchOptionsException([$"{path} is a SQLite file but not an LlmBatch response cache; give another --cache path."]);
        }

        if (version > Version)
        {
            throw new BatchOptionsException([$"{path} is a response cache of a newer LlmBatch (schema {version}); this one reads schema {Version}."]);
        }

        // auto_vacuum only takes effect before the first table exists; incremental lets eviction give space back.
        Execute(connection, "PRAGMA auto_vacuum = INCREMENTAL;");
        Execute(connection, "PRAGMA journal_mode = WAL;");
        Execute(connection, "PRAGMA synchronous = NORMAL;");
        Execute(connection, "PRAGMA busy_timeout = 30000;");
        if (version == 0)
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, CreateTable, transaction);
            Execute(connection, $"PRAGMA user_version = {Version};", transaction);
            transaction.Commit();
        }
    }

    public static void ConfigureReader(SqliteConnection connection) => Execute(connection, "PRAGMA busy_timeout = 30000;");

    public static SqliteCommand PrepareStore(SqliteConnection connection)
    {
        var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO answers (key, status, body, request_id, model, origin_id, origin_run, created, used)
            VALUES ($key, $status, $body, $request_id, $model, $origin_id, $origin_run, $at, $at)
            ON CONFLICT (key) DO UPDATE SET status = excluded.status, body = excluded.body, request_id = excluded.request_id,
                model = excluded.model, origin_id = excluded.origin_id, origin_run = excluded.origin_run, used = excluded.used;
            """;
        command.Parameters.Add("$key", SqliteType.Blob);
        command.Parameters.Add("$status", SqliteType.Integer);
        command.Parameters.Add("$body", SqliteType.Blob);
        command.Parameters.Add("$request_id", SqliteType.Text);
        command.Parameters.Add("$model", SqliteType.Text);
        command.Parameters.Add("$origin_id", SqliteType.Text);
        command.Parameters.Add("$origin_run", SqliteType.Blob);
        command.Parameters.Add("$at", SqliteType.Integer);
        return command;
    }

    public static SqliteCommand PrepareTouch(SqliteConnection connection)
    {
        var command = connection.CreateCommand();
        command.CommandText = "UPDATE answers SET used = max(used, $at) WHERE key = $key;";
        command.Parameters.Add("$key", SqliteType.Blob);
        command.Parameters.Add("$at", SqliteType.Integer);
        return command;
    }

    /// <summary>Applies a batch of queued writes in one transaction.</summary>
    public static void Apply(SqliteConnection connection, SqliteCommand store, SqliteCommand touch, List<SqliteResponseCache.Write> batch)
    {
        using var transaction = connection.BeginTransaction();
        store.Transaction = transaction;
        touch.Transaction = transaction;
        foreach (var write in batch)
        {
            if (write.Done is not null)
            {
                continue;
            }

            var key = new byte[RequestKey.Size];
            write.Key.WriteTo(key);
            if (write.Answer is { } answer)
            {
                store.Parameters["$key"].Value = key;
                store.Parameters["$status"].Value = answer.StatusCode;
                store.Parameters["$body"].Value = answer.Body.ToArray();
                store.Parameters["$request_id"].Value = (object?)answer.RequestId ?? DBNull.Value;
                store.Parameters["$model"].Value = answer.Model;
                store.Parameters["$origin_id"].Value = answer.OriginCustomId;
                store.Parameters["$origin_run"].Value = answer.OriginRun.ToByteArray();
                store.Parameters["$at"].Value = write.At;
                store.ExecuteNonQuery();
            }
            else
            {
                touch.Parameters["$key"].Value = key;
                touch.Parameters["$at"].Value = write.At;
                touch.ExecuteNonQuery();
            }
        }

        transaction.Commit();
        store.Transaction = null;
        touch.Transaction = null;
    }

    /// <summary>Deletes the least recently used answers while the file holds more than the cap, down to 90 % of it.</summary>
    public static long Evict(SqliteConnection connection, long maxBytes)
    {
        long evicted = 0;
        for (var round = 0; round < 16; round++)
        {
            var used = UsedBytes(connection);
            if (used <= maxBytes)
            {
                break;
            }

            var entries = Scalar(connection, "SELECT count(*) FROM answers;");
            if (entries == 0)
            {
                break;
            }

            // Shed the share of entries that brings the file to 90 % of the cap, assuming answers of average size.
            var target = maxBytes * 9 / 10;
            var count = Math.Clamp((long)Math.Ceiling(entries * (double)(used - target) / used), 1, entries);
            using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM answers WHERE rowid IN (SELECT rowid FROM answers ORDER BY used LIMIT $n);";
            delete.Parameters.AddWithValue("$n", count);
            evicted += delete.ExecuteNonQuery();
            Execute(connection, "PRAGMA incremental_vacuum;");
        }

        return evicted;
    }

    public static long Delete(SqliteConnection connection, long? unusedSinceMs)
    {
        using var delete = connection.CreateCommand();
        if (unusedSinceMs is { } since)
        {
            delete.CommandText = "DELETE FROM answers WHERE used < $since;";
            delete.Parameters.AddWithValue("$since", since);
        }
        else
        {
            delete.CommandText = "DELETE FROM answers;";
        }

        return delete.ExecuteNonQuery();
    }

    public static void Shrink(SqliteConnection connection)
    {
        Execute(connection, "PRAGMA incremental_vacuum;");
        Checkpoint(connection);
    }

    public static void Checkpoint(SqliteConnection connection)
    {
        try
        {
            // Folds the write-ahead log back into the file so it does not keep its size after the run.
            Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        }
        catch (SqliteException)
        {
            // Another process is reading: it checkpoints itself later.
        }
    }

    public static ResponseCacheStatistics Statistics(SqliteConnection connection, string path)
    {
        using var totals = connection.CreateCommand();
        totals.CommandText = "SELECT count(*), coalesce(sum(length(body)), 0), min(created), max(created), max(used) FROM answers;";
        long entries, bytes;
        DateTimeOffset? lastUsed = null;
        DateTimeOffset? oldest = null, newest = null;
        using (var reader = totals.ExecuteReader())
        {
            reader.Read();
            entries = reader.GetInt64(0);
            bytes = reader.GetInt64(1);
            if (!reader.IsDBNull(2))
            {
                oldest = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2));
                newest = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3));
                lastUsed = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4));
            }
        }

        var byModel = new List<KeyValuePair<string, long>>();
        using (var models = connection.CreateCommand())
        {
            models.CommandText = "SELECT model, count(*) AS n FROM answers GROUP BY model ORDER BY n DESC, model;";
            using var reader = models.ExecuteReader();
            while (reader.Read())
            {
                byModel.Add(new(reader.GetString(0), reader.GetInt64(1)));
            }
        }

        var full = Path.GetFullPath(path);
        long fileBytes = 0;
        foreach (var file in new[] { full, full + "-wal" })
        {
            if (File.Exists(file))
            {
                fileBytes += new FileInfo(file).Length;
            }
        }

        return new ResponseCacheStatistics
        {
            Path = full,
            Entries = entries,
            BodyBytes = bytes,
            FileBytes = fileBytes,
            LastUsed = lastUsed,
            Oldest = oldest,
            Newest = newest,
            ByModel = byModel,
        };
    }

    private static long UsedBytes(SqliteConnection connection) =>
        (Scalar(connection, "PRAGMA page_count;") - Scalar(connection, "PRAGMA freelist_count;")) * Scalar(connection, "PRAGMA page_size;");

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }
}
