namespace LlmBatch.Documents.Tests.Chunking;

/// <summary>One token per run of non-space characters: fast, and predictable enough to check cuts by hand.</summary>
internal sealed class WhitespaceTokenizer : IChunkTokenizer
{
    public int CountTokens(ReadOnlySpan<char> text)
    {
        var n = 0;
        var inWord = false;
        foreach (var c in text)
        {
            var word = !char.IsWhiteSpace(c);
            if (word && !inWord)
            {
                n++;
            }

            inWord = word;
        }

        return n;
    }
}
