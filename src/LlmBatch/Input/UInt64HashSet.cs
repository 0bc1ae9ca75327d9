namespace LlmBatch;

/// <summary>
/// A set of 64-bit hashes with open addressing: 8 bytes a slot, no per-entry object, so the ids of a million-line
/// file cost about 16 MB. The values are already uniformly distributed hashes, so their low bits index the table directly.
/// </summary>
internal sealed class UInt64HashSet
{
    // 0 marks an empty slot; the value 0 itself is tracked apart.
    private ulong[] _slots;
    private int _mask;
    private bool _hasZero;

    public UInt64HashSet(int capacity = 1024)
    {
        var size = 16;
        while (size < capacity * 2L && size < (1 << 30))
        {
            size <<= 1;
        }

        _slots = new ulong[size];
        _mask = size - 1;
    }

    public int Count { get; private set; }

    /// <summary>Adds a value; false when it was already present.</summary>
    public bool Add(ulong value)
    {
        if (value == 0)
        {
            if (_hasZero)
            {
                return false;
            }

            _hasZero = true;
            Count++;
            return true;
        }

        // Load factor at most 3/4 keeps linear probing short.
        if ((Count + 1) * 4L > _slots.Length * 3L)
        {
            Grow();
        }

        if (!Insert(_slots, _mask, value))
        {
            return false;
        }

        Count++;
        return true;
    }

    public bool Contains(ulong value)
    {
        if (value == 0)
        {
            return _hasZero;
        }

        var i = (int)(value & (ulong)_mask);
        while (true)
        {
            var slot = _slots[i];
            if (slot == value)
            {
                return true;
            }

            if (slot == 0)
            {
                return false;
            }

            i = (i + 1) & _mask;
        }
    }

    private static bool Insert(ulong[] slots, int mask, ulong value)
    {
        var i = (int)(value & (ulong)mask);
        while (true)
        {
            var slot = slots[i];
            if (slot == value)
            {
                return false;
            }

            if (slot == 0)
            {
                slots[i] = value;
                return true;
            }

            i = (i + 1) & mask;
        }
    }

    private void Grow()
    {
        var bigger = new ulong[_slots.Length * 2];
        var mask = bigger.Length - 1;
        foreach (var v in _slots)
        {
            if (v != 0)
            {
                Insert(bigger, mask, v);
            }
        }

        _slots = bigger;
        _mask = mask;
    }
}
