namespace LlmBatch.Reporting;

/// <summary>
/// The order of the report's latency sample, smallest first: a least-significant-digit radix sort over the floats' bit
/// patterns, mapped so that they compare as unsigned integers (negatives flipped, the sign bit set on the rest).
/// </summary>
/// <remarks>
/// Not <c>Array.Sort</c>: its sorter for a primitive is generic code that ReadyToRun leaves to the JIT, and in a run's
/// one report it never leaves tier 0 (about 1 % of a 20,000-request run's CPU, perf, for 20,000 latencies and the
/// per-slice lists; more for a run of a million). This is precompiled, linear in the sample, and sorts it once for the
/// histogram and every time slice.
/// </remarks>
internal static class LatencyOrder
{
    /// <summary>The indexes of <c>values[..count]</c> in ascending order of value (stable; NaN last).</summary>
    public static int[] Ascending(float[] values, int count)
    {
        var keys = new uint[count];
        var order = new int[count];
        for (var i = 0; i < count; i++)
        {
            var bits = BitConverter.SingleToUInt32Bits(values[i]);
            keys[i] = float.IsNaN(values[i]) ? uint.MaxValue : (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
            order[i] = i;
        }

        var from = order;
        var to = new int[count];
        Span<int> counts = stackalloc int[257];
        for (var shift = 0; shift < 32; shift += 8)
        {
            counts.Clear();
            for (var i = 0; i < count; i++)
            {
                counts[(int)((keys[from[i]] >> shift) & 0xFF) + 1]++;
            }

            for (var d = 1; d < 257; d++)
            {
                counts[d] += counts[d - 1];
            }

            for (var i = 0; i < count; i++)
            {
                var at = from[i];
                to[counts[(int)((keys[at] >> shift) & 0xFF)]++] = at;
            }

            (from, to) = (to, from);
        }

        return from;
    }
}
