using System.Collections.Concurrent;
using System.Threading.Channels;
using LlmBatch.Caching;
using LlmBatch.Output;
using Microsoft.Data.Sqlite;

namespace LlmBatch.Sqlite;

/// <summary>
/// A response cache in one SQLite file in WAL mode: readers never block the writer or each other, and several
/// processes on one machine may use the same file at once (SQLite's own locking; a writer waits up to 30 s for
/// another). Lookups run on a small pool of reader connections with a prepared statement; writes (new answers and the
/// last-used stamps of hits) are queued and committed by one background writer in batches, so a cached run costs a
/// lookup per request and no synchronous disk write (a hit writes only when its last-used stamp is over an hour old). The file is capped (<see cref="SqliteResponseCacheOptions.MaxSizeBytes"/>):
/// past it the least recently used answers are evicted. Keys are hashes of the request (<see cref="RequestKey"/>);
/// no credential is ever stored. Dispose it to write what is queued.
/// </summary>
public sealed class SqliteResponseCache : IBatchResponseCache, IAsyncDisposable
{
    // Writes wait here for the writer; bounded so a slow disk slows the run rather than growing memory.
    private const int QueueCapacity = 4096;
    private const int MaxBatch = 512;

    // Answers arrive one by one; a commit costs far more than a row, so the writer gathers them for a moment first.
    private static readonly TimeSpan GatherTime = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan EvictionCheckInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PresentRefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A hit renews an answer's last-used stamp only when the stamp is older than this (1 hour): eviction needs the
    /// order of use, not the instant, and a rerun answered from the cache then writes nothing at all.
    /// </summary>
    public static readonly TimeSpan TouchInterval = TimeSpan.FromHours(1);

    private readonly SqliteResponseCacheOptions _options;
    private readonly string _connectionString;
    private readonly ConcurrentBag<Reader> _readers = [];

    // A lookup takes microseconds: a few connections serve any concurrency, and each more would keep its own page cache.
    private readonly SemaphoreSlim _readerSlots = new(Math.Max(2, Environment.ProcessorCount * 2));
    private readonly Channel<Write> _writes = Channel.CreateBounded<Write>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly SqliteConnection _writer;
    private readonly Task _writing;
    private readonly Lock _presentLock = new();
    private readonly CustomIdSet _present = new();
    private long _presentUpTo;
    private long _lastRefresh;
    private long _lastEvictionCheck;
    private int _disposed;

    private SqliteResponseCache(SqliteResponseCacheOptions options, SqliteConnection writer, string connectionString)
    {
        _options = options;
        _writer = writer;
        _connectionString = connectionString;
        _writing = Task.Run(WriteLoopAsync);
        _lastRefresh = options.TimeProvider.GetTimestamp();
        RefreshPresent(writer);
    }

    /// <summary>The file.</summary>
    public string Path => _options.Path;

    /// <summary>Answers evicted by the size cap since the cache was opened.</summary>
    public long Evicted { get; private set; }

    /// <summary>Opens (or creates) the cache file.</summary>
    /// <param name="options">The file and its cap.</param>
    /// <returns>The cache.</returns>
    /// <exception cref="BatchOptionsException">An option is invalid, or the file is not an LlmBatch response cache.</exception>
    public static SqliteResponseCache Open(SqliteResponseCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var full = System.IO.Path.GetFullPath(options.Path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, DefaultTimeout = 30 }.ToString();
        var writer = new SqliteConnection(connectionString);
        try
        {
            writer.Open();
            CacheSchema.Create(writer, full);
        }
        catch (SqliteException ex)
        {
            writer.Dispose();
            throw new BatchOptionsException([$"{options.Path}: cannot be used as a response cache: {ex.Message}"]);
        }
        catch
        {
            writer.Dispose();
            throw;
        }

        return new SqliteResponseCache(options, writer, connectionString);
    }

    /// <inheritdoc />
    public ValueTask<CachedAnswer?> TryGetAsync(RequestKey key, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!MayHold(key))
        {
            // Most lookups of a first run miss: they are decided in memory, without a query.
            return ValueTask.FromResult<CachedAnswer?>(null);
        }

        var reader = Rent();
        try
        {
            var answer = reader.Find(key, out var used);
            var now = Now();
            if (answer is not null && now - used > (long)TouchInterval.TotalMilliseconds)
            {
                // Last-used stamps decide eviction; losing one under a full queue only ages an answer a little early.
                _writes.Writer.TryWrite(Write.Touch(key, now));
            }

            return ValueTask.FromResult(answer);
        }
        finally
        {
            Return(reader);
        }
    }

    /// <inheritdoc />
    public ValueTask StoreAsync(RequestKey key, CachedAnswer answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_presentLock)
        {
            _present.Add(key.Fold);
        }

        var write = Write.Store(key, answer, Now());
        return _writes.Writer.TryWrite(write) ? ValueTask.CompletedTask : _writes.Writer.WriteAsync(write, cancellationToken);
    }

    /// <summary>Writes what is queued and waits for it; answers stored before are then in the file.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes once the queue has been written.</returns>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _writes.Writer.WriteAsync(Write.Flush(done), cancellationToken).ConfigureAwait(false);
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the file holds.</summary>
    /// <returns>The figures.</returns>
    public ResponseCacheStatistics GetStatistics()
    {
        var reader = Rent();
        try
        {
            return CacheSchema.Statistics(reader.Connection, _options.Path);
        }
        finally
        {
            Return(reader);
        }
    }

    /// <summary>Deletes answers: all of them, or those not used since <paramref name="unusedSince"/>; the file then gives the space back.</summary>
    /// <param name="unusedSince">Keep answers stored or used at or after this time; null deletes every answer.</param>
    /// <param name="cancellationToken">Stops waiting for queued writes.</param>
    /// <returns>How many answers were deleted.</returns>
    public async Task<long> ClearAsync(DateTimeOffset? unusedSince = null, CancellationToken cancellationToken = default)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        var deleted = CacheSchema.Delete(_writer, unusedSince?.ToUnixTimeMilliseconds());
        CacheSchema.Shrink(_writer);
        return deleted;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _writes.Writer.TryComplete();
        await _writing.ConfigureAwait(false);
        CacheSchema.Checkpoint(_writer);
        await _writer.DisposeAsync().ConfigureAwait(false);
        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }

        _readerSlots.Dispose();
    }

    /// <summary>
    /// Whether the file may hold the key: an in-memory set of 64-bit folds of every key, loaded at open, extended by this
    /// process's stores at once and by other processes' within a second (read by rowid). A fold that collides, or a key
    /// since evicted, only costs a query that finds nothing.
    /// </summary>
    private bool MayHold(RequestKey key)
    {
        lock (_presentLock)
        {
            if (_present.Contains(key.Fold))
            {
                return true;
            }
        }

        var time = _options.TimeProvider;
        var last = Interlocked.Read(ref _lastRefresh);
        if (time.GetElapsedTime(last) < PresentRefreshInterval || Interlocked.CompareExchange(ref _lastRefresh, time.GetTimestamp(), last) != last)
        {
            return false;
        }

        var reader = Rent();
        try
        {
            RefreshPresent(reader.Connection);
        }
        finally
        {
            Return(reader);
        }

        lock (_presentLock)
        {
            return _present.Contains(key.Fold);
        }
    }

    private void RefreshPresent(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT rowid, key FROM answers WHERE rowid > $from ORDER BY rowid;";
        command.Parameters.AddWithValue("$from", Interlocked.Read(ref _presentUpTo));
        using var rows = command.ExecuteReader();
        var keys = new byte[RequestKey.Size];
        long upTo = 0;
        lock (_presentLock)
        {
            while (rows.Read())
            {
                upTo = rows.GetInt64(0);
                rows.GetBytes(1, 0, keys, 0, RequestKey.Size);
                _present.Add(RequestKey.Read(keys).Fold);
            }
        }

        if (upTo > 0)
        {
            Interlocked.Exchange(ref _presentUpTo, upTo);
        }
    }

    private long Now() => _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private Reader Rent()
    {
        _readerSlots.Wait();
        try
        {
            return _readers.TryTake(out var reader) ? reader : new Reader(_connectionString);
        }
        catch
        {
            _readerSlots.Release();
            throw;
        }
    }

    private void Return(Reader reader)
    {
        _readers.Add(reader);
        _readerSlots.Release();
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Write>(MaxBatch);
        var reader = _writes.Reader;
        using var store = CacheSchema.PrepareStore(_writer);
        using var touch = CacheSchema.PrepareTouch(_writer);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var flush = Gather(reader, batch);
            if (!flush && batch.Count < MaxBatch)
            {
                // Real time on purpose: this paces commits, it decides nothing a test's fake clock should drive.
                await Task.Delay(GatherTime, TimeProvider.System).ConfigureAwait(false);
                Gather(reader, batch);
            }

            try
            {
                CacheSchema.Apply(_writer, store, touch, batch);
                EvictIfDue();
            }
            catch (SqliteException)
            {
                // A cache write that fails (disk full, the file locked for longer than the timeout) loses cached
                // answers, never results: the output already holds them.
            }

            foreach (var write in batch)
            {
                write.Done?.TrySetResult();
            }

            batch.Clear();
        }
    }

    // Takes what is queued, up to a batch; true when a flush is waiting (so nobody is kept waiting longer).
    private static bool Gather(ChannelReader<Write> reader, List<Write> batch)
    {
        var flush = false;
        while (batch.Count < MaxBatch && reader.TryRead(out var write))
        {
            batch.Add(write);
            flush |= write.Done is not null;
        }

        return flush || batch.Any(w => w.Done is not null);
    }

    private void EvictIfDue()
    {
        var now = _options.TimeProvider.GetTimestamp();
        if (_options.TimeProvider.GetElapsedTime(_lastEvictionCheck, now) < EvictionCheckInterval && _lastEvictionCheck != 0)
        {
            return;
        }

        _lastEvictionCheck = now;
        Evicted += CacheSchema.Evict(_writer, _options.MaxSizeBytes);
    }

    /// <summary>One queued write: an answer to store, a hit's last-used stamp, or a flush marker.</summary>
    internal readonly record struct Write(RequestKey Key, CachedAnswer? Answer, long At, TaskCompletionSource? Done)
    {
        public static Write Store(RequestKey key, CachedAnswer answer, long at) => new(key, answer, at, null);

        public static Write Touch(RequestKey key, long at) => new(key, null, at, null);

        public static Write Flush(TaskCompletionSource done) => new(default, null, 0, done);
    }

    /// <summary>A reader connection with its prepared lookup.</summary>
    private sealed class Reader : IDisposable
    {
        private readonly AnswerLookup _find;

        public Reader(string connectionString)
        {
            Connection = new SqliteConnection(connectionString);
            Connection.Open();
            CacheSchema.ConfigureReader(Connection);
            _find = new AnswerLookup(Connection);
        }

        public SqliteConnection Connection { get; }

        public CachedAnswer? Find(RequestKey key, out long used) => _find.Find(key, out used);

        public void Dispose()
        {
            _find.Dispose();
            Connection.Dispose();
        }
    }
}
