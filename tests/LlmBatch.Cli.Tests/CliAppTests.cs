namespace LlmBatch.Cli.Tests;

public class CliAppTests
{
    [Theory]
    [InlineData("run in.jsonl --rpm abc")]
    [InlineData("run in.jsonl --max-concurrency x2")]
    [InlineData("run in.jsonl --no-such-flag")]
    [InlineData("frobnicate")]
    [InlineData("run in.jsonl --attempt-timeout 5x")]
    [InlineData("run in.jsonl --progress fancy")]
    public async Task RunAsync_BadArguments_Exit2(string commandLine) =>
        Assert.Equal(CliApp.ExitUsage, await CliApp.RunAsync(commandLine.Split(' ')));

    [Fact]
    public async Task RunAsync_MissingInput_Exit2() =>
        Assert.Equal(CliApp.ExitUsage, await CliApp.RunAsync(["run", Path.Combine(Path.GetTempPath(), "llmbatch-no-such-file.jsonl"), "--base-url", "http://127.0.0.1:9/v1"]));

    [Fact]
    public async Task RunAsync_NumberConversion_MessageNamesTheOption()
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            var code = await CliApp.RunAsync(["run", "x.jsonl", "--tpm", "abc"]);
            Assert.Equal(CliApp.ExitUsage, code);
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.Contains("--tpm: 'abc' is not a valid number", error.ToString(), StringComparison.Ordinal);
    }
}
