using LlmBatch.Input;

namespace LlmBatch.Tests.Input;

public class PromptTemplateTests
{
    [Fact]
    public void Render_PlaceholdersAndEscapedBraces_Filled()
    {
        var t = PromptTemplate.Parse("Reply as JSON {{\"label\": ...}} for: {text} ({lang})");

        var s = t.Render(n => n == "text" ? "hi" : n == "lang" ? "en" : null, out var missing);

        Assert.Null(missing);
        Assert.Equal("Reply as JSON {\"label\": ...} for: hi (en)", s);
        Assert.Equal(["text", "lang"], t.Placeholders);
    }

    [Fact]
    public void Render_UnknownPlaceholder_ReportsIt()
    {
        PromptTemplate.Parse("{text} {nope}").Render(n => n == "text" ? "x" : null, out var missing);
        Assert.Equal("nope", missing);
    }

    [Theory]
    [InlineData("{text")]
    [InlineData("text}")]
    [InlineData("{}")]
    public void Parse_Malformed_Throws(string template)
        => Assert.Throws<FormatException>(() => PromptTemplate.Parse(template));
}
