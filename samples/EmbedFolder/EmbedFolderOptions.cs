namespace LlmBatch.Samples.EmbedFolder;

/// <summary>The <c>EmbedFolder</c> section: which documents to embed.</summary>
internal sealed class EmbedFolderOptions
{
    /// <summary>The folder searched recursively (default <c>docs</c>, relative to the working directory).</summary>
    public string Folder { get; set; } = "docs";

    /// <summary>The file name patterns embedded (default <c>*.txt</c> and <c>*.md</c>).</summary>
    public List<string> Patterns { get; set; } = [];
}
