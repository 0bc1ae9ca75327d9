using LlmBatch.Documents;
using LlmBatch.LocalModel;

namespace LlmBatch.Cli.Commands;

/// <summary>The embedded model's WordPiece tokenizer as a chunk tokenizer.</summary>
internal sealed class LocalModelTokenizer : IChunkTokenizer
{
    public int CountTokens(ReadOnlySpan<char> text) => LocalModels.CountTokens(text);
}
