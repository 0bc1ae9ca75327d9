namespace LlmBatch.Reporting;

/// <summary>
/// The order of the report's per-code and per-status rows, as plain loops: LINQ's OrderBy over a
/// <c>KeyValuePair&lt;string, long&gt;</c> or <c>&lt;int, long&gt;</c> is generic code over a value type, which the
/// precompiled tool does not carry and compiled on the fly in every run's report (start-up CPU of a short run).
/// </summary>
internal static class ReportOrder
{
    // Beyond this many codes (a real run has a handful) the quadratic insertion below gives way to LINQ's sort.
    private const int InsertionLimit = 64;

    /// <summary>
    /// The codes by count, most first. Equal counts keep the dictionary's order, or go by ordinal code when
    /// <paramref name="codeOnTies"/>: the same order as <c>OrderByDescending(Value)</c> (stable) and
    /// <c>.ThenBy(Key, StringComparer.Ordinal)</c>.
    /// </summary>
    public static string[] ByCountDescending(IReadOnlyDictionary<string, long> counts, bool codeOnTies)
    {
        if (counts.Count > InsertionLimit)
        {
            var sorted = counts.OrderByDescending(p => p.Value);
            return (codeOnTies ? sorted.ThenBy(p => p.Key, StringComparer.Ordinal) : sorted).Select(p => p.Key).ToArray();
        }

        var codes = new string[counts.Count];
        var values = new long[counts.Count];
        var n = 0;
        foreach (var (code, count) in counts)
        {
            var i = n++;
            while (i > 0 && (values[i - 1] < count || (codeOnTies && values[i - 1] == count && string.CompareOrdinal(codes[i - 1], code) > 0)))
            {
                codes[i] = codes[i - 1];
                values[i] = values[i - 1];
                i--;
            }

            codes[i] = code;
            values[i] = count;
        }

        return codes;
    }

    /// <summary>The keys in ascending order (keys are unique: the same order as <c>OrderBy(Key)</c>).</summary>
    public static int[] Ascending(IReadOnlyDictionary<int, long> counts)
    {
        var keys = new int[counts.Count];
        var n = 0;
        foreach (var (key, _) in counts)
        {
            keys[n++] = key;
        }

        Array.Sort(keys);
        return keys;
    }
}
