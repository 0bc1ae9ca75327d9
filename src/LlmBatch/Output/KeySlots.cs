using System.Numerics;

namespace LlmBatch.Output;

/// <summary>
/// The probing both key sets share, <see cref="CustomIdSet"/> on the GC heap and <see cref="NativeKeySet{T}"/> outside
/// it: open addressing over hash keys, zero marking an empty slot (each set tracks the value zero on the side). The key
/// is a hash already, so its low 64 bits scaled to the table (multiply-shift) are the start, for a table of any length.
/// </summary>
internal static class KeySlots
{
    /// <summary>Puts the value into the first free slot of its probe; false when it is there already.</summary>
    public static bool Insert<T>(Span<T> slots, T value)
        where T : unmanaged, IBinaryInteger<T>
    {
        var at = Probe<T>(slots, value, out var found);
        if (!found)
        {
            slots[at] = value;
        }

        return !found;
    }

    /// <summary>True when the value is in a slot of its probe.</summary>
    public static bool Contains<T>(ReadOnlySpan<T> slots, T value)
        where T : unmanaged, IBinaryInteger<T>
    {
        Probe(slots, value, out var found);
        return found;
    }

    // The slot holding the value (found), or the empty slot that ends its probe.
    private static int Probe<T>(ReadOnlySpan<T> slots, T value, out bool found)
        where T : unmanaged, IBinaryInteger<T>
    {
        for (var i = Start(value, slots.Length); ; i = i + 1 == slots.Length ? 0 : i + 1)
        {
            var s = slots[i];
            if (s == value || T.IsZero(s))
            {
                found = s == value;
                return i;
            }
        }
    }

    private static int Start<T>(T value, int length)
        where T : unmanaged, IBinaryInteger<T> =>
        (int)Math.BigMul(ulong.CreateTruncating(value), (ulong)length, out _);
}
