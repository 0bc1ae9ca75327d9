using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch.Results;

/// <summary>
/// Puts the rows in input order without holding them: an external sort (<see cref="ExternalSorter{T}"/>) on the
/// input line our own output lines carry, or, with a metadata file, on its line order. The metadata is joined
/// without a dictionary too: results and metadata are each sorted by custom_id, met in one merge join (an item's
/// rank is its first metadata line, its columns its last one, as a lookup table would give), then sorted by rank.
/// Rows the metadata does not know, and a provider's lines that carry no input line, go last in reading order.
/// The temporary runs live in one directory of their own, removed on dispose.
/// </summary>
internal sealed class ResultOrdering : IDisposable
{
    private readonly string _directory;
    private readonly long _budget;
    private readonly int _fanIn;
    private readonly List<ExternalSorter<MergeRow>> _sorters = [];
    private readonly List<string> _columns = [];

    public ResultOrdering(string? tempDirectory, long budgetBytes, int fanIn)
    {
        _directory = Path.Combine(tempDirectory ?? Path.GetTempPath(), $"llmbatch-merge-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_directory);
        _budget = budgetBytes;
        _fanIn = fanIn;
    }

    /// <summary>The metadata columns, in the order they first appear in the metadata file.</summary>
    public IReadOnlyList<string> MetadataColumns => _columns;

    /// <summary>Sort runs written to disk over all the sorts (0 when everything fitted in memory).</summary>
    public int SpilledRuns { get; private set; }

    /// <summary>
    /// Reads every result and returns the rows in input order, to be read once. <paramref name="keyed"/> sees each
    /// row once its rank is known, before the ordered pass (the classification takes the labels' vectors there).
    /// </summary>
    public async Task<IEnumerable<MergeRow>> OrderAsync(IAsyncEnumerable<BatchResult> results, ResultRowReader reader, string? metadataPath, Action<MergeRow> keyed, CancellationToken cancellationToken)
    {
        var byRank = NewSorter(MergeRow.CompareByRank);
        if (metadataPath is null)
        {
            await foreach (var r in results.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                var row = reader.Read(r);
                // Our own output lines carry the input line; a provider's do not, and keep their file order.
                row.Rank = row.Line > 0 ? row.Line : long.MaxValue;
                keyed(row);
                byRank.Add(row);
            }

            return Sorted(byRank);
        }

        var byId = NewSorter(MergeRow.CompareById);
        await foreach (var r in results.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            byId.Add(reader.Read(r));
        }

        var metadata = NewSorter(MergeRow.CompareById);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long index = 0;
        await foreach (var (customId, meta) in BatchMetadataFile.ReadAsync(metadataPath, cancellationToken).ConfigureAwait(false))
        {
            foreach (var kv in meta)
            {
                if (seen.Add(kv.Key))
                {
                    _columns.Add(kv.Key);
                }
            }

            metadata.Add(new MergeRow { CustomId = customId, Sequence = index, Rank = index, Metadata = meta });
            index++;
        }

        using (var entries = Sorted(metadata).GetEnumerator())
        {
            var more = entries.MoveNext();
            string? groupId = null;
            long groupRank = 0;
            IReadOnlyList<KeyValuePair<string, string>>? groupMeta = null;
            foreach (var row in Sorted(byId))
            {
                cancellationToken.ThrowIfCancellationRequested();
                while (more && string.CompareOrdinal(entries.Current.CustomId, row.CustomId) < 0)
                {
                    more = entries.MoveNext();
                }

                if (more && entries.Current.CustomId == row.CustomId)
                {
                    // The first line of this id sets its rank; the last one its columns.
                    groupId = row.CustomId;
                    groupRank = entries.Current.Rank;
                    groupMeta = entries.Current.Metadata;
                    while ((more = entries.MoveNext()) && entries.Current.CustomId == groupId)
                    {
                        groupMeta = entries.Current.Metadata;
                    }
                }

                var known = groupId is not null && groupId == row.CustomId;
                row.Rank = known ? groupRank : long.MaxValue;
                row.Metadata = known ? groupMeta : null;
                keyed(row);
                byRank.Add(row);
            }
        }

        Release(byId);
        Release(metadata);
        return Sorted(byRank);
    }

    public void Dispose()
    {
        foreach (var sorter in _sorters)
        {
            sorter.Dispose();
        }

        _sorters.Clear();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A run still open elsewhere: its file is delete-on-close and goes with it.
        }
    }

    private IEnumerable<MergeRow> Sorted(ExternalSorter<MergeRow> sorter)
    {
        var rows = sorter.Sorted();
        SpilledRuns += sorter.SpilledRuns;
        return rows;
    }

    private void Release(ExternalSorter<MergeRow> sorter)
    {
        sorter.Dispose();
        _sorters.Remove(sorter);
    }

    private ExternalSorter<MergeRow> NewSorter(Comparison<MergeRow> comparison)
    {
        var sorter = new ExternalSorter<MergeRow>(comparison, MergeRowFormat.Write, MergeRowFormat.Read, MergeRowFormat.EstimateSize, _directory, _budget, _fanIn);
        _sorters.Add(sorter);
        return sorter;
    }
}
