namespace LlmBatch.Tests.Input;

public class UInt64HashSetTests
{
    [Fact]
    public void Add_ManyValuesThroughGrowth_DetectsEveryRepeat()
    {
        var set = new UInt64HashSet(capacity: 4);
        var random = new Random(42);
        var values = new HashSet<ulong>();
        for (var i = 0; i < 50_000; i++)
        {
            // Small values too, so that slot collisions and the zero value are exercised.
            var v = i % 3 == 0 ? (ulong)random.Next(0, 5000) : (ulong)random.NextInt64();
            Assert.Equal(values.Add(v), set.Add(v));
        }

        Assert.Equal(values.Count, set.Count);
        foreach (var v in values)
        {
            Assert.True(set.Contains(v));
        }

        Assert.False(set.Contains(ulong.MaxValue - 12345));
    }

    [Fact]
    public void Add_Zero_TrackedLikeAnyValue()
    {
        var set = new UInt64HashSet();

        Assert.False(set.Contains(0));
        Assert.True(set.Add(0));
        Assert.False(set.Add(0));
        Assert.True(set.Contains(0));
        Assert.Equal(1, set.Count);
    }
}
