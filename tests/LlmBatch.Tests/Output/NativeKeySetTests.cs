using LlmBatch.Output;

namespace LlmBatch.Tests.Output;

public class NativeKeySetTests
{
    [Fact]
    public void Add_ManyKeysIncludingZeroPastItsCapacity_EachAcceptedOnceAndCounted()
    {
        // Started small so that the table grows several times; then sized up front like a check that knows its count.
        using var grown = new NativeKeySet<UInt128>();
        using var sized = new NativeKeySet<ulong>();
        sized.EnsureCapacity(50_000);
        var rng = new Random(11);
        var wide = new HashSet<UInt128> { 0 };
        var narrow = new HashSet<ulong> { 0 };
        for (var i = 0; i < 50_000; i++)
        {
            wide.Add(new UInt128((ulong)rng.NextInt64(), (ulong)rng.NextInt64()));
            narrow.Add((ulong)rng.NextInt64(1, 5_000_000));
        }

        foreach (var v in wide)
        {
            Assert.True(grown.Add(v));
        }

        foreach (var v in narrow)
        {
            Assert.True(sized.Add(v));
        }

        Assert.All(wide, v => Assert.False(grown.Add(v)));
        Assert.All(narrow, v => Assert.False(sized.Add(v)));
        Assert.Equal(wide.Count, grown.Count);
        Assert.Equal(narrow.Count, sized.Count);
    }

    [Fact]
    public void Add_AfterDispose_Throws()
    {
        var set = new NativeKeySet<ulong>();
        set.Dispose();
        set.Dispose();

        Assert.Throws<ObjectDisposedException>(() => set.Add(1));
    }
}
