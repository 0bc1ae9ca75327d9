using System.Text;
using LlmBatch.Caching;

namespace LlmBatch.Sqlite.Tests;

public sealed class SqliteResponseCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("llmbatch-sqlite-").FullName;

    private string DbPath => Path.Combine(_dir, "cache.db");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static RequestKey Key(int i) => new((UInt128)(ulong)i * 0x9E3779B97F4A7C15UL + 1);

    private static CachedAnswer Answer(string text, int size = 0) => new()
    {
        StatusCode = 200,
        Body = Encoding.UTF8.GetBytes(size == 0 ? text : text + new string('x', size)),
        RequestId = "req_1",
        Model = "gpt-4o-mini",
        OriginCustomId = "a1",
        OriginRun = Guid.NewGuid(),
    };

    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private SqliteResponseCache Open(long maxBytes = SqliteResponseCacheOptions.DefaultMaxSizeBytes) =>
        SqliteResponseCache.Open(new SqliteResponseCacheOptions { Path = DbPath, MaxSizeBytes = maxBytes, TimeProvider = _time });

    [Fact]
    public async Task StoreThenReopen_AnswerReadBackByteForByte()
    {
        var answer = Answer("""{"id":"x","usage":{"prompt_tokens":1}}""");
        await using (var cache = Open())
        {
            await cache.StoreAsync(Key(1), answer, Ct);
        }

        await using (var cache = Open())
        {
            var hit = await cache.TryGetAsync(Key(1), Ct);
            Assert.NotNull(hit);
            Assert.Equal(answer.Body.ToArray(), hit.Body.ToArray());
            Assert.Equal("req_1", hit.RequestId);
            Assert.Equal(answer.OriginRun, hit.OriginRun);
            Assert.Null(await cache.TryGetAsync(Key(2), Ct));
        }
    }

    [Fact]
    public async Task TwoOpenersAtOnce_BothWriteAndSeeEachOthersAnswers()
    {
        await using var a = Open();
        await using var b = Open();

        await Task.WhenAll(
            Task.Run(async () => { for (var i = 0; i < 300; i++) { await a.StoreAsync(Key(i), Answer("a" + i), Ct); } }, Ct),
            Task.Run(async () => { for (var i = 300; i < 600; i++) { await b.StoreAsync(Key(i), Answer("b" + i), Ct); } }, Ct));
        await a.FlushAsync(Ct);
        await b.FlushAsync(Ct);

        // Each learns the other's keys within a second.
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.NotNull(await a.TryGetAsync(Key(450), Ct));
        Assert.NotNull(await b.TryGetAsync(Key(10), Ct));
        Assert.Equal(600, a.GetStatistics().Entries);
    }

    [Fact]
    public async Task OverTheSizeCap_LeastRecentlyUsedEvictedFileShrinksUnderCap()
    {
        await using var cache = Open(maxBytes: 1024 * 1024);
        for (var i = 0; i < 400; i++)
        {
            await cache.StoreAsync(Key(i), Answer("answer " + i, size: 8 * 1024), Ct);
            _time.Advance(TimeSpan.FromMilliseconds(10));
            if (i % 50 == 49)
            {
                // The writer checks the size at most once a second.
                await cache.FlushAsync(Ct);
                _time.Advance(TimeSpan.FromSeconds(2));
            }
        }

        await cache.FlushAsync(Ct);
        var stats = cache.GetStatistics();
        Assert.True(cache.Evicted > 0);
        Assert.InRange(stats.BodyBytes, 1, 1024 * 1024);
        Assert.Null(await cache.TryGetAsync(Key(0), Ct));
        Assert.NotNull(await cache.TryGetAsync(Key(399), Ct));
    }

    [Fact]
    public async Task ClearAsync_DeletesEverything()
    {
        await using var cache = Open();
        await cache.StoreAsync(Key(1), Answer("a"), Ct);

        Assert.Equal(1, await cache.ClearAsync(cancellationToken: Ct));

        Assert.Equal(0, cache.GetStatistics().Entries);
        Assert.Null(await cache.TryGetAsync(Key(1), Ct));
    }

    [Fact]
    public void Open_SqliteFileThatIsNotACache_RefusedWithItsName()
    {
        using (var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=false"))
        {
            other.Open();
            using var create = other.CreateCommand();
            create.CommandText = "CREATE TABLE people (name TEXT);";
            create.ExecuteNonQuery();
        }

        var ex = Assert.Throws<BatchOptionsException>(() => Open());
        Assert.Contains(DbPath, ex.Message, StringComparison.Ordinal);
    }
}
