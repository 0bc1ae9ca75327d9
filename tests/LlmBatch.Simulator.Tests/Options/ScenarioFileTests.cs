namespace LlmBatch.Simulator.Tests.Options;

public class ScenarioFileTests
{
    [Fact]
    public void FromJsonFile_CamelAndKebabNames_SetsEveryKind()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sim-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """
            {
              // comments are allowed
              "port": 9000,
              "requestsPerMinute": 600,
              "tokens-per-minute": 100000,
              "latency": "400ms",
              "perToken": "3ms",
              "hangDuration": "1m30s",
              "p-500": 0.02,
              "overflow": "reject",
              "completionDistribution": "exponential",
              "azure": true,
              "models": ["a", "b"]
            }
            """);
        try
        {
            var o = SimulatorOptions.FromJsonFile(path);
            Assert.Equal(9000, o.Port);
            Assert.Equal(600, o.RequestsPerMinute);
            Assert.Equal(100_000, o.TokensPerMinute);
            Assert.Equal(TimeSpan.FromMilliseconds(400), o.Latency);
            Assert.Equal(TimeSpan.FromMilliseconds(3), o.PerToken);
            Assert.Equal(TimeSpan.FromSeconds(90), o.HangDuration);
            Assert.Equal(0.02, o.P500);
            Assert.Equal(SimulatorOverflow.Reject, o.Overflow);
            Assert.Equal(SimulatorLengthDistribution.Exponential, o.CompletionDistribution);
            Assert.True(o.Azure);
            Assert.Equal(["a", "b"], o.Models);
            o.Validate();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ApplyJson_UnknownAndMistypedProperties_ListsEachWithName()
    {
        var ex = Assert.Throws<BatchOptionsException>(() => new SimulatorOptions().ApplyJson("""{"rpmm": 5, "latency": "fast", "port": "x", "overflow": "drop"}"""));
        Assert.Equal(4, ex.Problems.Count);
        Assert.Contains(ex.Problems, p => p.Contains("\"rpmm\" is not a simulator setting"));
        Assert.Contains(ex.Problems, p => p.Contains("\"latency\" must be a duration"));
        Assert.Contains(ex.Problems, p => p.Contains("\"port\" must be a whole number"));
        Assert.Contains(ex.Problems, p => p.Contains("\"overflow\" must be one of: queue, reject"));
    }

    [Theory]
    [InlineData("""{"latency": 400}""")]
    [InlineData("""{"latency": "400"}""")]
    public void ApplyJson_BareNumberDuration_RefusedAskingForTheUnit(string json)
    {
        var ex = Assert.Throws<BatchOptionsException>(() => new SimulatorOptions().ApplyJson(json));
        Assert.Contains("\"latency\" must be a duration with its unit", Assert.Single(ex.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void ApplyJson_ZeroDuration_AcceptedBare() =>
        Assert.Equal(TimeSpan.Zero, new SimulatorOptions().ApplyJson("""{"perToken": 0}""").PerToken);

    [Fact]
    public void ApplyJson_NotJson_NamesSource()
    {
        var ex = Assert.Throws<BatchOptionsException>(() => new SimulatorOptions().ApplyJson("{nope"));
        Assert.StartsWith("scenario: not valid JSON", ex.Problems[0]);
    }

    [Fact]
    public void SamplesScenarios_AllLoadAndValidate()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "sim-scenarios");
        var files = Directory.GetFiles(dir, "*.json");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            SimulatorOptions.FromJsonFile(file).Validate();
        }
    }
}
