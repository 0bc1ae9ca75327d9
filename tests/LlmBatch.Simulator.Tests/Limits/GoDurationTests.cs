namespace LlmBatch.Simulator.Tests.Limits;

public class GoDurationTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(0.3, "1ms")]
    [InlineData(120, "120ms")]
    [InlineData(999, "999ms")]
    [InlineData(1000, "1s")]
    [InlineData(8640, "8.64s")]
    [InlineData(59_999, "59.999s")]
    [InlineData(360_000, "6m0s")]
    [InlineData(90_500, "1m30.5s")]
    [InlineData(3_723_000, "1h2m3s")]
    public void Format_Milliseconds_MatchesOpenAiHeaderForm(double ms, string expected)
    {
        Assert.Equal(expected, GoDuration.Format(TimeSpan.FromMilliseconds(ms)));
    }

}
