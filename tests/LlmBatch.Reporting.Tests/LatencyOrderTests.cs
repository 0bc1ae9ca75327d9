namespace LlmBatch.Reporting.Tests;

public class LatencyOrderTests
{
    [Fact]
    public void Ascending_AnyFloats_SameOrderAsArraySort()
    {
        var rng = new Random(20_261_130);
        for (var round = 0; round < 50; round++)
        {
            var count = rng.Next(0, 3_000);
            var values = new float[count + 5];
            for (var i = 0; i < count; i++)
            {
                values[i] = rng.Next(10) switch
                {
                    0 => -(float)(rng.NextDouble() * 1e6),
                    1 => rng.Next(5),
                    2 => float.PositiveInfinity,
                    3 => -0f,
                    _ => (float)(rng.NextDouble() * 60_000),
                };
            }

            var order = LatencyOrder.Ascending(values, count);

            var expected = values[..count];
            Array.Sort(expected);
            Assert.Equal(expected, order.Select(i => values[i]));
            Assert.Equal(Enumerable.Range(0, count), order.Order());
        }
    }

    [Fact]
    public void Ascending_EqualValues_KeepTheirOrder()
    {
        float[] values = [3, 1, 3, 1, 2];

        Assert.Equal([1, 3, 4, 0, 2], LatencyOrder.Ascending(values, values.Length));
    }
}
