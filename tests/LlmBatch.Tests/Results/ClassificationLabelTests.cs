using LlmBatch.Input;
using LlmBatch.Results;

namespace LlmBatch.Tests.Results;

public class ClassificationLabelTests
{
    [Fact]
    public async Task ReadFileAsync_NamesDescriptionsCommentsBlanks()
    {
        using var dir = new TempDir();
        var path = dir.File("labels.txt", "# comment\npositive: a happy customer\n\nnegative\n");

        var labels = await ClassificationLabel.ReadFileAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal([new ClassificationLabel("positive", "a happy customer"), new ClassificationLabel("negative")], labels);
        Assert.Equal("a happy customer", labels[0].EmbeddingText);
        Assert.Equal("negative", labels[1].EmbeddingText);
    }

    [Fact]
    public void EmbeddingTexts_DescriptionWithPhrases_NameThenEachPhraseOnce()
    {
        var label = new ClassificationLabel("negative", "It broke, does not work; Negative,  waste of money ,");

        Assert.Equal(["negative", "It broke", "does not work", "waste of money"], label.EmbeddingTexts);
        Assert.Equal(["neutral"], new ClassificationLabel("neutral").EmbeddingTexts);
    }

    [Fact]
    public async Task ReadFileAsync_DuplicateAndEmptyName_ReportedWithLines()
    {
        using var dir = new TempDir();
        var path = dir.File("labels.txt", "a\n: nothing\nA: again\n");

        var ex = await Assert.ThrowsAsync<BatchInputException>(() => ClassificationLabel.ReadFileAsync(path, TestContext.Current.CancellationToken));

        Assert.Equal([2L, 3L], ex.Errors.Select(e => e.Line));
    }

    [Fact]
    public void ParseList_CommaSeparated_Trimmed()
        => Assert.Equal(["a", "b", "c"], ClassificationLabel.ParseList(" a, b ,c").Select(l => l.Name));

    [Theory]
    [InlineData("a")]
    [InlineData("a,,b")]
    [InlineData("a,b,A")]
    public void ParseList_Invalid_Throws(string list)
        => Assert.Throws<ArgumentException>(() => ClassificationLabel.ParseList(list));
}
