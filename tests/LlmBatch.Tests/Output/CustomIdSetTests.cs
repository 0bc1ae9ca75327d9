using LlmBatch.Output;

namespace LlmBatch.Tests.Output;

public class CustomIdSetTests
{
    [Fact]
    public void Add_ManyValuesIncludingZero_ContainsExactlyThem()
    {
        var set = new CustomIdSet();
        var rng = new Random(7);
        var values = new HashSet<UInt128> { 0 };
        for (var i = 0; i < 100_000; i++)
        {
            values.Add(new UInt128((ulong)rng.NextInt64(), (ulong)rng.NextInt64() * 3));
        }

        foreach (var v in values)
        {
            Assert.True(set.Add(v));
        }

        foreach (var v in values)
        {
            Assert.False(set.Add(v));
            Assert.True(set.Contains(v));
        }

        Assert.Equal(values.Count, set.Count);
        Assert.False(set.Contains(1));
        var listed = new List<UInt128>();
        foreach (var v in set)
        {
            listed.Add(v);
        }

        Assert.Equal(values.Order(), listed.Order());
    }
}
