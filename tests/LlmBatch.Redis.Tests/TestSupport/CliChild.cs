using System.Collections.Concurrent;
using System.Diagnostics;

namespace LlmBatch.Redis.Tests.TestSupport;

/// <summary>The built CLI as a real child process (the binary a user runs), its stdout and stderr collected.</summary>
public sealed class CliChild : IDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();

    private CliChild(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    /// <summary>Everything the child printed so far, both streams.</summary>
    public string Output => string.Join('\n', _lines);

    public static CliChild Start(IEnumerable<string> args, params (string Name, string? Value)[] environment)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "LlmBatch.Cli.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Remove("OPENAI_API_KEY");
        info.Environment.Remove("OPENAI_BASE_URL");
        info.Environment.Remove("LLMBATCH_REDIS_PASSWORD");
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return new CliChild(Process.Start(info) ?? throw new InvalidOperationException("could not start the CLI"));
    }

    /// <summary>Kills the child at once (SIGKILL), as <c>kill -9</c> does.</summary>
    public async Task KillAsync()
    {
        Process.Kill(entireProcessTree: true);
        await Process.WaitForExitAsync();
    }

    /// <summary>Waits for the child to exit and returns its exit code.</summary>
    public async Task<int> ExitCodeAsync(CancellationToken cancellationToken)
    {
        await Process.WaitForExitAsync(cancellationToken);
        Process.WaitForExit();
        return Process.ExitCode;
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        Process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }
}
