using System.Text;

namespace LlmBatch.Cli.Tests.Commands;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("llmbatch-validate-").FullName;

    private const string Good = """{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}}""";

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public async Task Validate_ValidFile_ExitsZero()
    {
        var path = Write("ok.jsonl", Good + "\n");

        Assert.Equal(0, await CliApp.RunAsync(["validate", path]));
    }

    [Fact]
    public async Task Validate_MarkupInFileContent_PrintedLiterallyAndExitsZero()
    {
        // Unbalanced Spectre markup in a model name would throw if it were ever read as markup.
        var path = Write("markup.jsonl", Good.Replace("gpt-4o-mini", "[red bold", StringComparison.Ordinal) + "\n");

        Assert.Equal(0, await CliApp.RunAsync(["validate", path, "--no-tokens"]));
    }

    [Fact]
    public async Task Validate_InvalidLine_ExitsTwo()
    {
        var path = Write("bad.jsonl", Good + "\n" + Good.Replace("POST", "[GET]", StringComparison.Ordinal).Replace("\"a\"", "\"b\"", StringComparison.Ordinal) + "\n");

        Assert.Equal(2, await CliApp.RunAsync(["validate", path, "--max-errors", "1"]));
    }

    [Fact]
    public async Task Validate_MissingFile_ExitsTwo()
    {
        Assert.Equal(2, await CliApp.RunAsync(["validate", Path.Combine(_dir, "missing.jsonl")]));
    }

    [Fact]
    public async Task Validate_EmptyFile_ExitsTwo()
    {
        var path = Write("empty.jsonl", "");

        Assert.Equal(2, await CliApp.RunAsync(["validate", path]));
    }

    [Fact]
    public async Task Validate_BadMaxErrors_ExitsTwo()
    {
        var path = Write("ok.jsonl", Good + "\n");

        Assert.Equal(2, await CliApp.RunAsync(["validate", path, "--max-errors", "0"]));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
