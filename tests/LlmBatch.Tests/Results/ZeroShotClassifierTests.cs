using LlmBatch.Results;

namespace LlmBatch.Tests.Results;

public class ZeroShotClassifierTests
{
    private static ZeroShotClassifier Make() => new(
        ["a", "b", "c"],
        [new float[] { 1, 0, 0 }, new float[] { 0, 1, 0 }, new float[] { 0, 0, 1 }]);

    [Fact]
    public void Classify_NearestLabelWithScoreAndRunnerUp()
    {
        var item = Make().Classify("x", [0.2f, 0.9f, 0.4f], gold: "b");

        Assert.Equal("b", item.Label);
        Assert.Equal("c", item.RunnerUp);
        var norm = Math.Sqrt((0.2 * 0.2) + (0.9 * 0.9) + (0.4 * 0.4));
        Assert.Equal(0.9 / norm, item.Score!.Value, 5);
        Assert.Equal(0.4 / norm, item.RunnerUpScore!.Value, 5);
        Assert.Equal((0.9 - 0.4) / norm, item.Margin!.Value, 5);
        Assert.Equal("b", item.Gold);
    }

    [Fact]
    public void Classify_ScaleOfVector_DoesNotMatter()
    {
        var c = Make();
        Assert.Equal(c.Classify("x", [3f, 1f, 0f]).Score!.Value, c.Classify("x", [30f, 10f, 0f]).Score!.Value, 9);
    }

    [Fact]
    public void Classify_WrongDimensions_Throws()
        => Assert.Throws<ArgumentException>(() => Make().Classify("x", [1f, 0f]));

    [Fact]
    public void Constructor_MismatchedCounts_Throws()
        => Assert.Throws<ArgumentException>(() => new ZeroShotClassifier(["a", "b"], [new float[] { 1 }]));
}
