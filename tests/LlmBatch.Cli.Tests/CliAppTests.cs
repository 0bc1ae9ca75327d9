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

    [Theory]
    [InlineData("--tpm", "abc", "is not a valid number")]
    [InlineData("--max-concurrency", "x2", "is not a valid whole number")]
    [InlineData("--grace", "5x", "is not a duration (e.g. 30s, 500ms, 2m)")]
    [InlineData("--grace", "1e300", "is out of range for a duration")]
    [InlineData("--max-memory", "lots", "is not a size (e.g. 512MB, 2GB)")]
    [InlineData("--mode", "later", "must be online, batch or auto")]
    [InlineData("--mode", "1", "must be online, batch or auto")]
    [InlineData("--progress", "fancy", "must be auto, rich, plain or none")]
    [InlineData("--fallback", "nowhere", "must be resubmit or online")]
    [InlineData("--format", "xml", "must be auto, text, csv or jsonl")]
    public async Task RunAsync_BadFlagValue_OneLineNamingTheFlagAndTheForm(string flag, string value, string expected)
    {
        foreach (var args in new[] { new[] { "run", "x.jsonl", flag, value }, ["run", "x.jsonl", $"{flag}={value}"] })
        {
            var (code, error) = await RunCapturingErrorAsync(args);

            Assert.Equal(CliApp.ExitUsage, code);
            Assert.Equal($"llmbatch: {flag}: '{value}' {expected}", error.Trim());
        }
    }

    [Fact]
    public async Task RunAsync_DurationOutOfRange_CheckedOnTheTypedValue()
    {
        var (code, error) = await RunCapturingErrorAsync(["run", "x.jsonl", "--item-deadline", "1200h"]);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("--item-deadline: 1200h is out of range; give a duration above 0 up to 7 days", error, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Error)> RunCapturingErrorAsync(string[] args)
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            return (await CliApp.RunAsync(args), error.ToString());
        }
        finally
        {
            Console.SetError(original);
        }
    }
}
