using System.Text;
using LlmBatch.RateLimiting;

namespace LlmBatch.Simulator.Tests.Content;

public class ContentGeneratorTests
{
    [Theory]
    [InlineData(SimulatorLengthDistribution.Uniform)]
    [InlineData(SimulatorLengthDistribution.Exponential)]
    [InlineData(SimulatorLengthDistribution.Lognormal)]
    public void NaturalLength_ManyRequests_MeanNearConfigured(SimulatorLengthDistribution distribution)
    {
        var generator = new ContentGenerator(new SimulatorOptions { CompletionTokens = 100, CompletionDistribution = distribution });
        var lengths = Enumerable.Range(0, 20_000).Select(i => generator.NaturalLength((ulong)i * 7919, 0)).ToArray();
        Assert.InRange(lengths.Average(), 95, 105);
        Assert.True(lengths.Distinct().Count() > 10);
        Assert.All(lengths, l => Assert.True(l >= 1));
    }

    [Fact]
    public void NaturalLength_Fixed_AlwaysMean()
    {
        var generator = new ContentGenerator(new SimulatorOptions { CompletionTokens = 33, CompletionDistribution = SimulatorLengthDistribution.Fixed });
        Assert.All(Enumerable.Range(0, 100), i => Assert.Equal(33, generator.NaturalLength((ulong)i, 0)));
    }

    [Fact]
    public void AppendWords_SameAsWordStream()
    {
        var generator = new ContentGenerator(new SimulatorOptions { Seed = 5 });
        var whole = new StringBuilder();
        generator.AppendWords(whole, 1234, 0, 20);
        var stream = generator.WordStream(1234, 0);
        var pieces = string.Concat(Enumerable.Range(0, 20).Select(i => ContentGenerator.WordAt(ref stream, i)));
        Assert.Equal(whole.ToString(), pieces);
        Assert.Equal(20, pieces.Split(' ').Length);
    }

    [Fact]
    public void AppendWords_WordsCountAsOneTokenEachWithClientTokenizer()
    {
        var generator = new ContentGenerator(new SimulatorOptions());
        var text = new StringBuilder();
        generator.AppendWords(text, 99, 0, 200);
        var tokens = TokenCounter.Shared.CountText("gpt-4o-mini", text.ToString());
        Assert.InRange(tokens, 190, 210);
    }
}
