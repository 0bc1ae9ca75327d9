namespace LlmBatch.Results;

/// <summary>
/// One result line as the merge carries it from the reading pass to the writers: what was extracted from the body,
/// the error, and the key that puts it in input order. It is spilled to disk by <see cref="MergeRowFormat"/> between
/// the passes, so nothing here may depend on an object that is not written there.
/// </summary>
internal sealed class MergeRow
{
    public required string CustomId { get; init; }

    /// <summary>The input line our own output lines carry (0 for a provider's line).</summary>
    public long Line { get; init; }

    /// <summary>The position in the results as read: ties between equal ranks keep it.</summary>
    public long Sequence { get; init; }

    /// <summary>The input order: the metadata file's line index, else the input line; <see cref="long.MaxValue"/> goes last.</summary>
    public long Rank { get; set; }

    public string? Content { get; set; }

    public string? FinishReason { get; set; }

    public float[][]? Vectors { get; set; }

    public string? ErrorCode { get; set; }

    public string? ErrorMessage { get; set; }

    /// <summary>The metadata columns joined from the metadata file, or null.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Metadata { get; set; }

    public ResultUsage Usage { get; set; }

    /// <summary>Set by the classification pass; never spilled (it runs after the last sort).</summary>
    public ClassifiedItem? Classified { get; set; }

    /// <summary>Set by the classification pass; never spilled.</summary>
    public string? Gold { get; set; }

    public bool IsLabel => CustomId.StartsWith(BatchResultsMerger.LabelIdPrefix, StringComparison.Ordinal);

    /// <summary>Input order, then reading order: a total order, since no two rows share a sequence.</summary>
    public static int CompareByRank(MergeRow a, MergeRow b) =>
        a.Rank != b.Rank ? a.Rank.CompareTo(b.Rank) : a.Sequence.CompareTo(b.Sequence);

    /// <summary>The custom_id, then reading order: how rows meet the metadata in a merge join.</summary>
    public static int CompareById(MergeRow a, MergeRow b)
    {
        var c = string.CompareOrdinal(a.CustomId, b.CustomId);
        return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
    }

    /// <summary>The value of a metadata column, or null: the first of that name, or with <paramref name="last"/> the last.</summary>
    public string? FindMetadata(string key, bool last = false)
    {
        string? found = null;
        if (Metadata is not null)
        {
            foreach (var kv in Metadata)
            {
                if (kv.Key == key)
                {
                    found = kv.Value;
                    if (!last)
                    {
                        break;
                    }
                }
            }
        }

        return found;
    }
}
