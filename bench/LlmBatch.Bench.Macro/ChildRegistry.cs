using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LlmBatch.Bench.Macro;

/// <summary>
/// Every child process the harness starts, so that each one is killed on every way out: normal end, exception,
/// Ctrl+C, SIGTERM. A benchmark must never leave a simulator or a client running on a shared machine.
/// </summary>
internal static class ChildRegistry
{
    private static readonly List<Process> Children = [];
    private static readonly List<PosixSignalRegistration> Signals = [];

    public static void InstallHandlers()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
        {
            Signals.Add(PosixSignalRegistration.Create(signal, context =>
            {
                Console.Error.WriteLine($"llmbatch-bench: {context.Signal}, stopping every child process");
                KillAll();
                context.Cancel = false;
            }));
        }
    }

    public static void Add(Process process)
    {
        lock (Children)
        {
            Children.Add(process);
        }
    }

    public static void Remove(Process process)
    {
        lock (Children)
        {
            Children.Remove(process);
        }
    }

    public static void KillAll()
    {
        Process[] all;
        lock (Children)
        {
            all = [.. Children];
            Children.Clear();
        }

        foreach (var p in all)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
    }
}
