namespace LlmBatch.Simulator.Tests.Options;

public class DurationTextTests
{
    [Theory]
    [InlineData("400ms", 400)]
    [InlineData("1.5s", 1500)]
    [InlineData("2m", 120_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("250", 250)]
    [InlineData("0", 0)]
    public void TryParse_HumanDurations_Parsed(string text, double ms)
    {
        Assert.True(DurationText.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("fast")]
    [InlineData("5 parsecs")]
    [InlineData("-3s")]
    [InlineData("10d")]
    public void TryParse_Nonsense_False(string text)
    {
        Assert.False(DurationText.TryParse(text, out _));
    }
}
