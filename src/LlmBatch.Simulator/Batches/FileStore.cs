using System.Collections.Concurrent;
using System.Globalization;

namespace LlmBatch.Simulator;

/// <summary>The files of the simulated Files API, in memory, with ids that sort by creation order.</summary>
internal sealed class FileStore(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, SimFile> _files = new(StringComparer.Ordinal);
    private long _next;

    public SimFile Add(string filename, string purpose, byte[] content)
    {
        var id = "file-" + Interlocked.Increment(ref _next).ToString("x24", CultureInfo.InvariantCulture);
        var file = new SimFile(id, filename, purpose, content, time.GetUtcNow().ToUnixTimeSeconds());
        _files[id] = file;
        return file;
    }

    public SimFile? Get(string id) => _files.TryGetValue(id, out var file) ? file : null;

    public bool Delete(string id) => _files.TryRemove(id, out _);

    /// <summary>A page of files, newest first unless <paramref name="ascending"/>, starting after <paramref name="after"/>.</summary>
    public (List<SimFile> Page, bool HasMore) List(string? purpose, string? after, int limit, bool ascending)
    {
        var all = _files.Values.Where(f => purpose is null || f.Purpose == purpose).ToList();
        all.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        if (!ascending)
        {
            all.Reverse();
        }

        var start = after is null ? 0 : all.FindIndex(f => f.Id == after) + 1;
        var page = all.Skip(start).Take(limit).ToList();
        return (page, start + page.Count < all.Count);
    }
}
