using System.Diagnostics;
using System.Globalization;

namespace LlmBatch.Bench.Macro;

/// <summary>
/// Runs one client (the llmbatch CLI or the baseline) as a child process. CPU time and peak RSS come from the kernel's
/// own accounting of the child (wait4's rusage, reported by GNU time), not from sampling, so nothing is missed at exit.
/// </summary>
internal static class ClientRunner
{
    private const string GnuTime = "/usr/bin/time";

    public static bool HasGnuTime => File.Exists(GnuTime);

    /// <summary>Runs the client to completion or until <paramref name="cap"/>, whichever comes first.</summary>
    public static async Task<RunMeasurement> RunAsync(string exe, IReadOnlyList<string> args, string workDir, TimeSpan cap)
    {
        var timeFile = Path.Combine(workDir, $"time-{Guid.NewGuid():N}.txt");
        var psi = new ProcessStartInfo(GnuTime) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-f");
        psi.ArgumentList.Add("%U %S %M");
        psi.ArgumentList.Add("-o");
        psi.ArgumentList.Add(timeFile);
        psi.ArgumentList.Add(exe);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Environment(psi);
        var (wall, exit, timedOut, tail) = await RunCoreAsync(psi, cap, killAfter: null).ConfigureAwait(false);
        double cpu = double.NaN, rss = double.NaN;
        if (!timedOut && File.Exists(timeFile))
        {
            // The last line is "user sys maxrss_kb"; a line before it may say the command exited non-zero.
            var last = File.ReadAllLines(timeFile).LastOrDefault(l => l.Trim().Length > 0)?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (last is { Length: 3 }
                && double.TryParse(last[0], CultureInfo.InvariantCulture, out var user)
                && double.TryParse(last[1], CultureInfo.InvariantCulture, out var sys)
                && double.TryParse(last[2], CultureInfo.InvariantCulture, out var kb))
            {
                cpu = user + sys;
                rss = kb / 1024.0;
            }

            File.Delete(timeFile);
        }

        return new RunMeasurement(wall, cpu, rss, exit, timedOut, tail);
    }

    /// <summary>Runs the client directly and kills it with SIGKILL after <paramref name="killAfter"/> (a crash).</summary>
    public static async Task<RunMeasurement> RunAndKillAsync(string exe, IReadOnlyList<string> args, TimeSpan killAfter, TimeSpan cap)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Environment(psi);
        var (wall, exit, timedOut, tail) = await RunCoreAsync(psi, cap, killAfter).ConfigureAwait(false);
        return new RunMeasurement(wall, double.NaN, double.NaN, exit, timedOut, tail);
    }

    /// <summary>Runs the client directly and kills it with SIGKILL the moment <paramref name="condition"/> holds (checked every 20 ms).</summary>
    public static async Task<(bool Killed, int ExitCode)> RunAndKillWhenAsync(string exe, IReadOnlyList<string> args, Func<bool> condition, TimeSpan cap)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Environment(psi);
        using var process = new Process { StartInfo = psi };
        var tail = new OutputTail();
        process.Start();
        ChildRegistry.Add(process);
        try
        {
            tail.Attach(process);
            var sw = Stopwatch.StartNew();
            while (!process.HasExited && sw.Elapsed < cap)
            {
                if (condition())
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync().ConfigureAwait(false);
                    return (true, -1);
                }

                await Task.Delay(20).ConfigureAwait(false);
            }

            await process.WaitForExitAsync().ConfigureAwait(false);
            return (false, process.ExitCode);
        }
        finally
        {
            ChildRegistry.Remove(process);
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static void Environment(ProcessStartInfo psi)
    {
        // A placeholder key: the simulator accepts any key, and nothing here talks to anything but 127.0.0.1.
        psi.Environment["OPENAI_API_KEY"] = "sk-llmbatch-bench-local";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["NO_COLOR"] = "1";
    }

    private static async Task<(double Wall, int Exit, bool TimedOut, string Tail)> RunCoreAsync(ProcessStartInfo psi, TimeSpan cap, TimeSpan? killAfter)
    {
        using var process = new Process { StartInfo = psi };
        var tail = new OutputTail();
        var sw = Stopwatch.StartNew();
        process.Start();
        ChildRegistry.Add(process);
        try
        {
            tail.Attach(process);
            var limit = killAfter is { } k && k < cap ? k : cap;
            using var cts = new CancellationTokenSource(limit);
            try
            {
                await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
                sw.Stop();
                return (sw.Elapsed.TotalSeconds, process.ExitCode, false, tail.Text);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                sw.Stop();
                var timedOut = killAfter is null || killAfter.Value >= cap;
                return (sw.Elapsed.TotalSeconds, -1, timedOut, tail.Text);
            }
        }
        finally
        {
            ChildRegistry.Remove(process);
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
