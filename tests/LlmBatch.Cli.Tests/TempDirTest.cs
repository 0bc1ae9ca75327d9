namespace LlmBatch.Cli.Tests;

/// <summary>A test class with a scratch directory of its own, removed after each test.</summary>
public abstract class TempDirTest : IDisposable
{
    /// <summary>The scratch directory, created empty for each test.</summary>
    protected string Dir { get; } = Directory.CreateTempSubdirectory("llmbatch-cli-").FullName;

    public void Dispose()
    {
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
