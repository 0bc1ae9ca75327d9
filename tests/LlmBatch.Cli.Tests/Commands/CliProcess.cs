using System.Diagnostics;

namespace LlmBatch.Cli.Tests.Commands;

/// <summary>Starts the built CLI as a real child process (the same binary a user runs).</summary>
internal static class CliProcess
{
    public static Process Start(IEnumerable<string> args, params (string Name, string? Value)[] environment)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "LlmBatch.Cli.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Remove("OPENAI_API_KEY");
        info.Environment.Remove("OPENAI_BASE_URL");
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the CLI");

        // Drain stdout so a chatty child never blocks on a full pipe; stderr is left to the caller.
        _ = process.StandardOutput.ReadToEndAsync();
        return process;
    }
}
