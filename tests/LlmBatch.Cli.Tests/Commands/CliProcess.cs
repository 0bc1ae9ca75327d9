using System.Diagnostics;

namespace LlmBatch.Cli.Tests.Commands;

/// <summary>Starts the built CLI as a real child process (the same binary a user runs).</summary>
internal static class CliProcess
{
    public static Process Start(IEnumerable<string> args, params (string Name, string? Value)[] environment)
    {
        var process = Launch(args, environment);

        // Drain stdout so a chatty child never blocks on a full pipe; stderr is left to the caller.
        _ = process.StandardOutput.ReadToEndAsync();
        return process;
    }

    /// <summary>Runs the CLI to the end and returns its exit code and both outputs.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> args, CancellationToken cancellationToken) =>
        RunAsync(args, [], cancellationToken);

    /// <summary>Runs the CLI to the end with extra environment variables and returns its exit code and both outputs.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> args, (string Name, string? Value)[] environment, CancellationToken cancellationToken)
    {
        using var process = Launch(args, environment);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Runs the CLI through <c>bash -c</c> so that <paramref name="shellPrefix"/> (for example <c>ulimit -f 1;</c>) sets
    /// up the process it becomes; returns its exit code and both outputs.
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunInShellAsync(string shellPrefix, IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var command = shellPrefix + " exec dotnet \"$0\" \"$@\"";
        using var process = Launch(["-c", command, Path.Combine(AppContext.BaseDirectory, "LlmBatch.Cli.dll"), .. args], [], program: "bash");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static Process Launch(IEnumerable<string> args, (string Name, string? Value)[] environment, string? program = null)
    {
        var info = new ProcessStartInfo(program ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (program is null)
        {
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "LlmBatch.Cli.dll"));
        }

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

        return Process.Start(info) ?? throw new InvalidOperationException("could not start the CLI");
    }
}
