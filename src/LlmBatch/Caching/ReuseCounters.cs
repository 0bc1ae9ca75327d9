namespace LlmBatch.Caching;

/// <summary>Live counts of the answers a run obtained without a request of their own.</summary>
internal sealed class ReuseCounters
{
    private long _cacheHits;
    private long _shared;
    private long _cacheErrors;

    public long CacheHits => Interlocked.Read(ref _cacheHits);

    public long Shared => Interlocked.Read(ref _shared);

    public long CacheErrors => Interlocked.Read(ref _cacheErrors);

    public void CacheHit() => Interlocked.Increment(ref _cacheHits);

    public void SharedAnswer() => Interlocked.Increment(ref _shared);

    public void CacheError() => Interlocked.Increment(ref _cacheErrors);

    public void Reset()
    {
        Interlocked.Exchange(ref _cacheHits, 0);
        Interlocked.Exchange(ref _shared, 0);
        Interlocked.Exchange(ref _cacheErrors, 0);
    }
}
