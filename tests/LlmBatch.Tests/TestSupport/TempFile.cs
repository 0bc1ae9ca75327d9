using System.Text;

namespace LlmBatch.Tests.TestSupport;

/// <summary>A file in the temp folder, deleted on dispose.</summary>
internal sealed class TempFile : IDisposable
{
    private TempFile(string path) => Path = path;

    public string Path { get; }

    public static TempFile WithBytes(byte[] bytes)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"llmbatch-test-{Guid.NewGuid():N}.jsonl");
        File.WriteAllBytes(path, bytes);
        return new TempFile(path);
    }

    public static TempFile WithText(string text) => WithBytes(Encoding.UTF8.GetBytes(text));

    public static TempFile WithLines(params string[] lines) => WithText(string.Join("\n", lines) + "\n");

    public static string Chat(string id, string model = "gpt-4o-mini", string content = "Hello", string extra = "") =>
        $$$"""{"custom_id":"{{{id}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"{{{model}}}","messages":[{"role":"user","content":"{{{content}}}"}]""" + extra + "}}";

    public static string Embedding(string id, string input = "hello") =>
        $$$"""{"custom_id":"{{{id}}}","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":"{{{input}}}"}}""";

    public void Dispose()
    {
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
    }
}
