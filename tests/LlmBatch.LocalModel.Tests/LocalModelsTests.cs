namespace LlmBatch.LocalModel.Tests;

/// <summary>The embedded model's own tokenizer, which document chunks for it are counted with.</summary>
public class LocalModelsTests
{
    [Fact]
    public void CountTokens_Sentence_WordPiecesWithoutClsAndSep()
    {
        // hello | world | , | this | is | un | - | bel | ##ie | ##vable
        Assert.Equal(10, LocalModels.CountTokens("Hello world, this is un-believable"));
        Assert.Equal(0, LocalModels.CountTokens("   "));
    }

    [Fact]
    public void CountTokens_Parts_AddUpAcrossWhitespace()
    {
        const string a = "The river runs to the harbour.";
        const string b = " Lanterns glow in every window.";

        Assert.Equal(LocalModels.CountTokens(a) + LocalModels.CountTokens(b), LocalModels.CountTokens(a + b));
    }
}
