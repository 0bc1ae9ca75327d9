using LlmBatch.Results;

namespace LlmBatch.Tests.Results;

public class ClassificationReportBuilderTests
{
    [Fact]
    public void Build_WithGold_CountsSharesAccuracyAndConfusion()
    {
        var b = new ClassificationReportBuilder(["pos", "neg"]);
        b.Add(new ClassifiedItem("1", "pos", 0.9, "neg", 0.1, "pos"));
        b.Add(new ClassifiedItem("2", "pos", 0.5, "neg", 0.45, "neg"));
        b.Add(new ClassifiedItem("3", "neg", 0.8, "pos", 0.2, "neg"));
        b.Add(new ClassifiedItem("4", "NEG", 0.6, "pos", 0.5, "neg"));
        b.AddFailure();

        var r = b.Build(leastConfident: 2);

        Assert.Equal(4, r.Classified);
        Assert.Equal(1, r.Failed);
        Assert.Equal([new LabelShare("pos", 2, 0.5), new LabelShare("neg", 2, 0.5)], r.Distribution);
        Assert.Equal(4, r.WithGold);
        Assert.Equal(0.75, r.Accuracy);
        Assert.Equal(["pos", "neg"], r.ConfusionLabels);
        Assert.Equal([1L, 0L], r.ConfusionMatrix![0]);
        Assert.Equal([1L, 2L], r.ConfusionMatrix[1]);
        Assert.Equal(["2", "4"], r.LeastConfident.Select(i => i.CustomId));
    }

    [Fact]
    public void Build_WithoutGold_NoAccuracyNoMatrix()
    {
        var b = new ClassificationReportBuilder(["x", "y"]);
        b.Add(new ClassifiedItem("1", "x"));

        var r = b.Build();

        Assert.Null(r.Accuracy);
        Assert.Null(r.ConfusionMatrix);
        Assert.Empty(r.LeastConfident);
        Assert.Equal(1.0, r.Distribution[0].Share);
    }

    [Fact]
    public void Add_GoldOutsideLabelSet_CountsAsWrongAndGetsItsOwnRow()
    {
        var b = new ClassificationReportBuilder(["x", "y"]);
        b.Add(new ClassifiedItem("1", "x", Gold: "z"));

        var r = b.Build();

        Assert.Equal(0.0, r.Accuracy);
        Assert.Equal(["x", "y", "z"], r.ConfusionLabels);
        Assert.Equal([1L, 0L, 0L], r.ConfusionMatrix![2]);
    }

    [Fact]
    public void Add_UnknownLabel_Throws()
        => Assert.Throws<ArgumentException>(() => new ClassificationReportBuilder(["x", "y"]).Add(new ClassifiedItem("1", "w")));
}
