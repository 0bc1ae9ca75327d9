using System.Numerics;
using System.Runtime.InteropServices;

namespace LlmBatch.Output;

/// <summary>
/// A set of hash keys (custom_id keys, request body keys) with open addressing, held outside the GC heap and freed when
/// disposed. For the sets that live only while an input is read once (the check's custom_ids, the dedupe count's
/// bodies): 16 or 8 bytes a slot, 32 MB of custom_id keys at a million lines. On the GC heap such an array stayed
/// resident until the next full collection, well into the run, so a run's peak held it and the run's own memory at once
/// and grew with the input; freed here, its pages go back to the system when the pass ends.
/// </summary>
/// <typeparam name="T">The key: <see cref="UInt128"/> or <see cref="ulong"/>, a hash whose low bits are as good an index as any.</typeparam>
internal sealed unsafe class NativeKeySet<T> : IDisposable
    where T : unmanaged, IBinaryInteger<T>
{
    // Zero marks an empty slot, so the value zero is tracked on the side.
    private T* _slots;
    private int _length;
    private int _used;
    private bool _hasZero;

    public NativeKeySet(long capacity = 0)
    {
        _length = SizeFor(capacity);
        _slots = Allocate(_length);
    }

    ~NativeKeySet() => Free();

    public long Count => _used + (_hasZero ? 1 : 0);

    /// <summary>
    /// Makes room for <paramref name="count"/> values in one step, so that a set whose final size is known early (from
    /// the first lines of a file and its length) never holds an old table and a new one at once while it doubles.
    /// </summary>
    public void EnsureCapacity(long count)
    {
        var size = SizeFor(count);
        if (size > _length)
        {
            Resize(size);
        }
    }

    /// <summary>Adds the value; false when it was there already.</summary>
    public bool Add(T value)
    {
        ObjectDisposedException.ThrowIf(_slots == null, this);
        if (T.IsZero(value))
        {
            var added = !_hasZero;
            _hasZero = true;
            return added;
        }

        if ((_used + 1) * 4L > _length * 3L)
        {
            Resize((int)Math.Min(_length * 2L, 1 << 30));
        }

        if (!KeySlots.Insert(new Span<T>(_slots, _length), value))
        {
            return false;
        }

        _used++;
        return true;
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    // Slots for the count at three quarters full, any number of them (not a power of two: at a million keys that is 22
    // MB instead of 32); past 2^30 slots the set is full.
    private static int SizeFor(long capacity) => (int)Math.Clamp(capacity + ((capacity + 2) / 3), 16, 1 << 30);

    private static T* Allocate(int length) => (T*)NativeMemory.AllocZeroed((nuint)length, (nuint)sizeof(T));

    private void Resize(int size)
    {
        var bigger = Allocate(size);
        for (var i = 0; i < _length; i++)
        {
            if (!T.IsZero(_slots[i]))
            {
                KeySlots.Insert(new Span<T>(bigger, size), _slots[i]);
            }
        }

        NativeMemory.Free(_slots);
        _slots = bigger;
        _length = size;
    }

    private void Free()
    {
        if (_slots != null)
        {
            NativeMemory.Free(_slots);
            _slots = null;
        }
    }
}
