namespace LlmBatch.Reporting.Tests;

public sealed class ReportOrderTests
{
    [Fact]
    public void ByCountDescending_EqualCounts_KeepTheDictionaryOrderOrGoByCode()
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal) { ["timeout"] = 2, ["http_500"] = 5, ["b"] = 2, ["a"] = 2 };

        Assert.Equal(["http_500", "timeout", "b", "a"], ReportOrder.ByCountDescending(counts, codeOnTies: false));
        Assert.Equal(["http_500", "a", "b", "timeout"], ReportOrder.ByCountDescending(counts, codeOnTies: true));
    }

    [Theory]
    [InlineData(10, false)]
    [InlineData(10, true)]
    [InlineData(200, false)]
    [InlineData(200, true)]
    public void ByCountDescending_AnySize_TheSameOrderAsLinq(int codes, bool codeOnTies)
    {
        var random = new Random(codes);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < codes; i++)
        {
            counts["code_" + random.Next(100_000)] = random.Next(5);
        }

        var sorted = counts.OrderByDescending(p => p.Value);
        var expected = (codeOnTies ? sorted.ThenBy(p => p.Key, StringComparer.Ordinal) : sorted).Select(p => p.Key);

        Assert.Equal(expected, ReportOrder.ByCountDescending(counts, codeOnTies));
    }

    [Fact]
    public void Ascending_Statuses_InNumericOrder()
    {
        var counts = new Dictionary<int, long> { [500] = 1, [200] = 9, [0] = 2, [429] = 3 };

        Assert.Equal([0, 200, 429, 500], ReportOrder.Ascending(counts));
    }
}
