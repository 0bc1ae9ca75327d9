namespace LlmBatch;

/// <summary>
/// A set of 64-bit hashes with open addressing: about 11 bytes per item at full load, against about 24 for
/// <see cref="HashSet{T}"/> of <see cref="ulong"/>, so the done-set of a file with millions of lines stays small.
/// </summary>
internal sealed class UInt64Set
{
    // Zero marks an empty slot, so the value zero is tracked on the side.
    private ulong[] _slots;
    private int _used;
    private bool _hasZero;

    public UInt64Set(int capacity = 0)
    {
        var size = 16;
        while (size * 3 / 4 < capacity)
        {
            size *= 2;
        }

        _slots = new ulong[size];
    }

    public long Count => _used + (_hasZero ? 1 : 0);

    public bool Add(ulong value)
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

        return Insert(_slots, value);
    }

    public bool Contains(ulong value)
    {
        if (value == 0)
        {
            return _hasZero;
        }

        var slots = _slots;
        var mask = slots.Length - 1;
        for (var i = Index(value, mask); ; i = (i + 1) & mask)
        {
            var s = slots[i];
            if (s == value)
            {
                return true;
            }

            if (s == 0)
            {
                return false;
            }
        }
    }

    /// <summary>Enumerates the values in no particular order; the set must not change meanwhile.</summary>
    public IEnumerator<ulong> GetEnumerator()
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

    private static int Index(ulong value, int mask) => (int)(value ^ (value >> 32)) & mask;

    private bool Insert(ulong[] slots, ulong value)
    {
        var mask = slots.Length - 1;
        for (var i = Index(value, mask); ; i = (i + 1) & mask)
        {
            var s = slots[i];
            if (s == value)
            {
                return false;
            }

            if (s == 0)
            {
                slots[i] = value;
                if (ReferenceEquals(slots, _slots))
                {
                    _used++;
                }

                return true;
            }
        }
    }

    private void Grow()
    {
        var bigger = new ulong[_slots.Length * 2];
        foreach (var v in _slots)
        {
            if (v != 0)
            {
                Insert(bigger, v);
            }
        }

        _slots = bigger;
    }
}
