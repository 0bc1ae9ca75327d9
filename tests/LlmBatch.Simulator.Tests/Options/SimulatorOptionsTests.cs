namespace LlmBatch.Simulator.Tests.Options;

public class SimulatorOptionsTests
{
    [Fact]
    public void Validate_Defaults_Pass()
    {
        new SimulatorOptions().Validate();
    }

    [Fact]
    public void Validate_ManyProblems_ListsEvery()
    {
        var o = new SimulatorOptions
        {
            Host = "not a host",
            Latency = TimeSpan.FromSeconds(-1),
            RequestsPerMinute = -1,
            P500 = 0.7,
            P503 = 0.7,
            SlowFactor = 0.5,
            BurstSeconds = 0,
        };
        var ex = Assert.Throws<BatchOptionsException>(o.Validate);
        Assert.Equal(6, ex.Problems.Count);
        Assert.Contains(ex.Problems, p => p.Contains("add up to"));
    }
}
