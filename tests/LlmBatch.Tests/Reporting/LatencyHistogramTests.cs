using LlmBatch.Reporting;

namespace LlmBatch.Tests.Reporting;

public class LatencyHistogramTests
{
    [Fact]
    public void Percentile_Empty_ReturnsZero()
    {
        var h = new LatencyHistogram();
        Assert.Equal(0, h.Percentile(50));
        Assert.Equal(0, h.MaxMs);
        Assert.Equal(0, h.MinMs);
        Assert.Equal(0, h.MeanMs);
        Assert.Equal(0, h.Count);
    }

    [Fact]
    public void Percentile_UniformValues_WithinOnePercentOfExact()
    {
        var h = new LatencyHistogram();
        for (var i = 1; i <= 10_000; i++)
        {
            h.Record(i);
        }

        Assert.Equal(10_000, h.Count);
        foreach (var p in new[] { 1.0, 50, 90, 95, 99, 99.9 })
        {
            var exact = Math.Ceiling(p / 100 * 10_000);
            var estimate = h.Percentile(p);
            Assert.InRange(estimate, exact * 0.99, exact * 1.01);
        }

        Assert.Equal(10_000, h.MaxMs);
        Assert.Equal(1, h.MinMs);
        Assert.Equal(5000.5, h.MeanMs, 6);
    }

    [Fact]
    public void Percentile_SingleValue_IsThatValue()
    {
        var h = new LatencyHistogram();
        h.Record(412.5);
        Assert.Equal(412.5, h.Percentile(0));
        Assert.Equal(412.5, h.Percentile(50));
        Assert.Equal(412.5, h.Percentile(100));
    }

    [Fact]
    public void Record_OutOfRangeValues_ClampedToBucketsButExtremesExact()
    {
        var h = new LatencyHistogram();
        h.Record(0.001);
        h.Record(-5);
        h.Record(double.NaN);
        h.Record(10 * LatencyHistogram.HighestMs);
        Assert.Equal(4, h.Count);
        Assert.Equal(0, h.MinMs);
        Assert.Equal(10 * LatencyHistogram.HighestMs, h.MaxMs);
        Assert.Equal(10 * LatencyHistogram.HighestMs, h.Percentile(100));
        Assert.InRange(h.Percentile(50), 0, LatencyHistogram.LowestMs * 1.02);
    }

    [Fact]
    public void Percentile_SkewedDistribution_TailFound()
    {
        var h = new LatencyHistogram();
        for (var i = 0; i < 990; i++)
        {
            h.Record(100);
        }

        for (var i = 0; i < 10; i++)
        {
            h.Record(30_000);
        }

        Assert.InRange(h.Percentile(50), 99, 101);
        Assert.InRange(h.Percentile(99), 99, 101);
        Assert.InRange(h.Percentile(99.5), 29_700, 30_000);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(100.5)]
    [InlineData(double.NaN)]
    public void Percentile_OutOfRange_Throws(double p) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LatencyHistogram().Percentile(p));

    [Fact]
    public async Task Record_ConcurrentWriters_CountsEveryValue()
    {
        var h = new LatencyHistogram();
        var tasks = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 1; i <= 25_000; i++)
            {
                h.Record(i % 1000);
            }
        }, TestContext.Current.CancellationToken)).ToArray();
        await Task.WhenAll(tasks);
        Assert.Equal(100_000, h.Count);
        Assert.Equal(999, h.MaxMs);
        Assert.Equal(0, h.MinMs);
    }
}
