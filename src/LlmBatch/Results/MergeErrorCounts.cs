namespace LlmBatch.Results;

/// <summary>The rows of a merge counted, and its failures per error code (a handful of codes, whatever the rows).</summary>
internal sealed class MergeErrorCounts
{
    private readonly Dictionary<string, long> _byKind = new(StringComparer.Ordinal);

    public long Total { get; private set; }

    public long Failed { get; private set; }

    public void Add(MergeRow row)
    {
        Total++;
        if (row.ErrorCode is { } code)
        {
            Failed++;
            _byKind[code] = _byKind.GetValueOrDefault(code) + 1;
        }
    }

    /// <summary>Largest first, then by code.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> ByKind() =>
        [.. _byKind.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)];
}
