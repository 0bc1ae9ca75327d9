using LlmBatch.Input;

namespace LlmBatch.Tests.Input;

public class BatchValidationOptionsTests
{
    [Fact]
    public void Defaults_AreDocumentedValues_AndValid()
    {
        var options = new BatchValidationOptions();

        options.Validate();

        Assert.Equal(100, options.MaxErrors);
        Assert.Equal(8 * 1024 * 1024, options.MaxLineBytes);
        Assert.True(options.CountTokens);
        Assert.Equal(256, options.DefaultMaxOutputTokens);
    }

    [Fact]
    public void Validate_EveryFieldOutOfRange_ListsEveryProblem()
    {
        var options = new BatchValidationOptions { MaxErrors = 0, MaxLineBytes = int.MaxValue, DefaultMaxOutputTokens = -5 };

        var ex = Assert.Throws<BatchOptionsException>(options.Validate);

        Assert.Collection(
            ex.Problems,
            p => Assert.StartsWith("MaxErrors", p, StringComparison.Ordinal),
            p => Assert.StartsWith("MaxLineBytes", p, StringComparison.Ordinal),
            p => Assert.StartsWith("DefaultMaxOutputTokens", p, StringComparison.Ordinal));
    }
}
