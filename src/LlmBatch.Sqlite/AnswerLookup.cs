using LlmBatch.Caching;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace LlmBatch.Sqlite;

/// <summary>
/// The one query on a hit's path, run on SQLite's own API under a reader connection: bind the key, step, copy the
/// row out, reset. It skips the ADO.NET layers (reader objects, parameter boxing), which cost more than the query itself.
/// Not thread-safe: one per reader connection.
/// </summary>
internal sealed class AnswerLookup : IDisposable
{
    private const string Sql = "SELECT status, body, request_id, model, origin_id, origin_run, used FROM answers WHERE key = ?1;";

    private readonly sqlite3_stmt _statement;
    private readonly byte[] _key = new byte[RequestKey.Size];

    public AnswerLookup(SqliteConnection connection)
    {
        var rc = raw.sqlite3_prepare_v2(connection.Handle, Sql, out _statement);
        SqliteException.ThrowExceptionForRC(rc, connection.Handle);
    }

    public CachedAnswer? Find(RequestKey key, out long used)
    {
        key.WriteTo(_key);
        try
        {
            raw.sqlite3_bind_blob(_statement, 1, _key);
            var rc = raw.sqlite3_step(_statement);
            if (rc == raw.SQLITE_DONE)
            {
                used = 0;
                return null;
            }

            if (rc != raw.SQLITE_ROW)
            {
                throw new SqliteException($"The cache lookup failed: {raw.sqlite3_errstr(rc).utf8_to_string()}", rc);
            }

            var run = raw.sqlite3_column_blob(_statement, 5);
            used = raw.sqlite3_column_int64(_statement, 6);
            return new CachedAnswer
            {
                StatusCode = raw.sqlite3_column_int(_statement, 0),
                Body = raw.sqlite3_column_blob(_statement, 1).ToArray(),
                RequestId = raw.sqlite3_column_type(_statement, 2) == raw.SQLITE_NULL ? null : raw.sqlite3_column_text(_statement, 2).utf8_to_string(),
                Model = raw.sqlite3_column_text(_statement, 3).utf8_to_string(),
                OriginCustomId = raw.sqlite3_column_text(_statement, 4).utf8_to_string(),
                OriginRun = run.Length == 16 ? new Guid(run) : Guid.Empty,
            };
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    public void Dispose() => _statement.Dispose();
}
