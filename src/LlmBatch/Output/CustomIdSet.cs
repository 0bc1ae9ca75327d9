namespace LlmBatch.Output;

/// <summary>
/// A set of 128-bit custom_id keys (<see cref="CustomIdHash.Key(string)"/>) with open addressing: about 21 bytes per
/// item at full load, against about 40 for <see cref="HashSet{T}"/> of <see cref="UInt128"/>, so the done-set of a
/// file with millions of lines stays small.
/// </summary>
internal sealed class CustomIdSet
{
    // Zero marks an empty slot, so the value zero is tracked on the side.
    private UInt128[] _slots;
    private int _used;
    private bool _hasZero;

    public CustomIdSet(int capacity = 0)
    {
        var size = 16;
        while (size * 3 / 4 < capacity)
        {
            size *= 2;
        }

        _slots = new UInt128[size];
    }

    public long Count => _used + (_hasZero ? 1 : 0);

    public bool Add(UInt128 value)
    {
        if (value == 0)
        {
            var added = !_hasZero;
            _hasZero = true;
            return added;
        }

        if ((_used + 1) * 4L > _slots.Length * 3L)
        {
            Grow();
        }

        if (!KeySlots.Insert<UInt128>(_slots, value))
        {
            return false;
        }

        _used++;
        return true;
    }

    public bool Contains(UInt128 value)
    {
        if (value == 0)
        {
            return _hasZero;
        }

        return KeySlots.Contains<UInt128>(_slots, value);
    }

    /// <summary>Enumerates the values in no particular order; the set must not change meanwhile.</summary>
    public IEnumerator<UInt128> GetEnumerator()
    {
        if (_hasZero)
        {
            yield return 0;
        }

        foreach (var v in _slots)
        {
            if (v != 0)
            {
                yield return v;
            }
        }
    }

    private void Grow()
    {
        var bigger = new UInt128[_slots.Length * 2];
        foreach (var v in _slots)
        {
            if (v != 0)
            {
                KeySlots.Insert<UInt128>(bigger, v);
            }
        }

        _slots = bigger;
    }
}
