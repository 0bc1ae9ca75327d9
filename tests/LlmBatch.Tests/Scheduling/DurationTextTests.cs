namespace LlmBatch.Tests.Scheduling;

public class DurationTextTests
{
    [Theory]
    [InlineData("400ms", 400)]
    [InlineData("1.5s", 1500)]
    [InlineData("2m", 120_000)]
    [InlineData("2min", 120_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("6m0s", 360_000)]
    [InlineData("1h2m3.5s", 3_723_500)]
    [InlineData("1h", 3_600_000)]
    [InlineData("20us", 0.02)]
    [InlineData("20µs", 0.02)]
    [InlineData(" 30s ", 30_000)]
    [InlineData("7.00:00:00", 604_800_000)]
    [InlineData("00:01:30", 90_000)]
    [InlineData("0", 0)]
    public void TryParse_HumanAndHeaderForms_Parsed(string text, double ms)
    {
        Assert.True(DurationText.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), value);
    }

    [Theory]
    [InlineData("250", 250_000)]
    [InlineData("0.5", 500)]
    public void TryParse_BareNumber_Seconds(string text, double ms)
    {
        Assert.True(DurationText.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("fast")]
    [InlineData("5 parsecs")]
    [InlineData("-3s")]
    [InlineData("-5")]
    [InlineData("-00:00:05")]
    [InlineData("10d")]
    [InlineData("30S")]
    [InlineData("s")]
    [InlineData("NaN")]
    [InlineData("1e300")]
    [InlineData("1e300h")]
    public void TryParse_NotADurationOrTooLong_False(string text)
    {
        Assert.False(DurationText.TryParse(text, out var value));
        Assert.Equal(TimeSpan.Zero, value);
    }

    [Theory]
    [InlineData("400", false)]
    [InlineData("1.5", false)]
    [InlineData("0", true)]
    [InlineData("400ms", true)]
    [InlineData("2m", true)]
    public void TryParse_UnitRequired_OnlyZeroMayBeBare(string text, bool accepted) =>
        Assert.Equal(accepted, DurationText.TryParse(text, out _, unitRequired: true));

    [Fact]
    public void ParseMilliseconds_BeyondTimeSpan_ReturnedForTheCallerToReport()
    {
        Assert.Equal(1e303, DurationText.ParseMilliseconds("1e300"));
        Assert.Equal(double.PositiveInfinity, DurationText.ParseMilliseconds("Infinity"));
        Assert.Null(DurationText.ParseMilliseconds("NaN"));
    }
}
