namespace LlmBatch.Documents.Tests;

/// <summary>The generated corpus, written once per test class into a scratch folder.</summary>
public sealed class CorpusFixture : IDisposable
{
    public CorpusFixture()
    {
        Dir = Directory.CreateTempSubdirectory("llmbatch-corpus-").FullName;
        TestCorpus.Write(Dir);
    }

    public string Dir { get; }

    public string PathOf(string relative) => Path.Combine(Dir, relative);

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
